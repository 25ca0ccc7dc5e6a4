package routing

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"time"

	"pbx/media"
)

// CloseInterrupted closes the records of calls that were in progress when
// the server last stopped without ending them (a crash, SIGKILL, power
// loss): each ends when the server was last known alive, with the cause
// "server restart". A recording the call was making is kept with it, its
// file made whole (the recorder brings the header up to date every few
// seconds; what came after that is repaired from the file's length). It
// runs at start, before calls are taken, and returns how many it closed.
func (e *Engine) CloseInterrupted(ctx context.Context) (int, error) {
	open, err := e.history.InProgress(ctx)
	if err != nil {
		return 0, err
	}
	for _, rec := range open {
		if err := e.ended(ctx, &rec, CauseRestart, true); err != nil {
			return 0, err
		}
		if err := e.history.Record(ctx, rec); err != nil {
			return 0, err
		}
		e.log.Warn("closed a call the server stopped without ending", "call_id", rec.CallID,
			"started", rec.StartedAt, "last_alive", rec.AliveAt, "recording", rec.Recording)
	}
	return len(open), nil
}

// ended completes the record of a call its server stopped without ending:
// it ends when the server was last alive, with cause. repair makes its
// recording whole, when the file is on this machine.
func (e *Engine) ended(ctx context.Context, rec *CallRecord, cause string, repair bool) error {
	rec.EndedAt = rec.AliveAt
	rec.HangupCause = cause
	if rec.SIPCode == 0 {
		rec.SIPCode = recordedAbandoned
		if rec.AnsweredAt != nil {
			rec.SIPCode = recordedAnswered
		}
	}
	if rec.Recording != "" && repair {
		e.repairRecording(rec)
	}
	if e.meter != nil {
		// What the call paid is in the ledger, each increment once.
		charged, err := e.meter.Charged(ctx, fmt.Sprint(rec.ID))
		if err != nil {
			return err
		}
		rec.CreditsCharged = charged
	}
	return nil
}

func (e *Engine) repairRecording(rec *CallRecord) {
	if e.recordings == "" {
		return
	}
	length, err := media.RepairRecording(filepath.Join(e.recordings, rec.Recording))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		e.log.Warn("recording of an interrupted call is missing", "call_id", rec.CallID, "file", rec.Recording)
		rec.Recording, rec.Voicemail = "", false
	case err != nil:
		e.log.Error("repair recording", "call_id", rec.CallID, "error", err)
	default:
		rec.RecordingSeconds = int(length.Round(time.Second) / time.Second)
	}
}

// KeepAlive marks the calls in progress as alive every interval until ctx
// ends, so that a crash cuts them, in the history, at most interval short
// of when the server stopped.
func (e *Engine) KeepAlive(ctx context.Context, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := e.history.KeepAlive(ctx, e.now()); err != nil && ctx.Err() == nil {
				e.log.Warn("keep calls alive", "error", err)
			}
		}
	}
}
