package routing

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// RecordingQuota says whether a new recording fits the storage plan
// (billing implements it).
type RecordingQuota interface {
	// MayRecord reports whether a new recording may be stored.
	MayRecord(ctx context.Context) bool
	// Recorded counts a recording just closed.
	Recorded(seconds int64)
}

// WithRecordingQuota stores a recording only when quota allows it; a call
// whose recording is refused goes on unrecorded.
func WithRecordingQuota(q RecordingQuota) Option { return func(e *Engine) { e.quota = q } }

// DeleteRecordingsBefore deletes the recordings (and voicemail) of calls
// that started before cutoff, and frees their minutes: the records stay,
// without a recording. It returns how many it deleted.
func (e *Engine) DeleteRecordingsBefore(ctx context.Context, cutoff time.Time) (int, error) {
	if e.recordings == "" {
		return 0, nil
	}
	var old []CallRecord
	e.history.catchUp(ctx)
	err := e.history.db.WithContext(ctx).Where("recording <> '' AND started_at < ? AND in_progress = ?", cutoff.UTC(), false).
		Limit(10_000).Find(&old).Error
	if err != nil {
		return 0, fmt.Errorf("old recordings: %w", err)
	}
	n := 0
	for _, rec := range old {
		if err := os.Remove(filepath.Join(e.recordings, rec.Recording)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			e.log.Error("delete recording", "file", rec.Recording, "error", err)
			continue
		}
		err := e.history.db.WithContext(ctx).Model(&CallRecord{}).Where("id = ?", rec.ID).
			Updates(map[string]any{"recording": "", "recording_seconds": 0}).Error
		if err != nil {
			return n, fmt.Errorf("forget recording %d: %w", rec.ID, err)
		}
		n++
	}
	if n > 0 {
		e.log.Info("recordings deleted after their age", "count", n, "before", cutoff.Format(time.DateOnly))
	}
	return n, nil
}
