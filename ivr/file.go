package ivr

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"gorm.io/gorm"

	"pbx/invalid"
	"pbx/media"
)

// File is an audio file an administrator uploaded, as the API shows it.
// The file itself is kept as it was sent, so that it can be downloaded
// again; calls play it from its decoded copy (Library.Clip).
type File struct {
	ID   uint   `gorm:"primaryKey" json:"id"`
	Name string `gorm:"size:200;not null" json:"name"`
	// Size is the uploaded file's length in bytes.
	Size int64 `gorm:"not null" json:"size_bytes"`
	// Seconds is how long it plays, to the millisecond.
	Seconds float64 `gorm:"not null" json:"duration_seconds"`
	// SampleRate, Channels and BitDepth describe the file as uploaded.
	SampleRate int       `gorm:"not null" json:"sample_rate"`
	Channels   int       `gorm:"not null" json:"channels"`
	BitDepth   int       `gorm:"not null" json:"bit_depth"`
	CreatedAt  time.Time `json:"created_at"`
}

// TableName keeps the table's name apart from other kinds of file.
func (File) TableName() string { return "media_files" }

// fileData holds a File's bytes, apart from its description so that
// listing files never reads them.
type fileData struct {
	FileID uint   `gorm:"primaryKey;autoIncrement:false"`
	Data   []byte `gorm:"not null"`
}

func (fileData) TableName() string { return "media_file_data" }

// Models lists the tables ivr owns, for migration.
func Models() []any { return []any{&File{}, &fileData{}} }

// MaxFileBytes is the largest file Add accepts: 20 MiB, two minutes of
// 48 kHz stereo or forty of 8 kHz mono.
const MaxFileBytes = 20 << 20

// maxNameLen bounds a File's name, in characters.
const maxNameLen = 200

// Add checks that data is a WAV file calls can play and keeps it as a new
// File named name. Data that is not is an *invalid.Error on "file" saying
// what was expected and what was found; a bad name one on "name".
func (l *Library) Add(ctx context.Context, name string, data []byte) (File, error) {
	var v invalid.Error
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		v.Add("name", "must not be empty")
	case len([]rune(name)) > maxNameLen:
		v.Add("name", fmt.Sprintf("must be at most %d characters", maxNameLen))
	case strings.ContainsFunc(name, unicode.IsControl):
		v.Add("name", "must not hold control characters")
	}
	var (
		clip *media.Clip
		info media.WAVInfo
	)
	if len(data) > MaxFileBytes {
		v.Add("file", fmt.Sprintf("is larger than %d MiB", MaxFileBytes>>20))
	} else {
		var err error
		clip, info, err = media.DecodeWAV(bytes.NewReader(data))
		var fe *media.FormatError
		switch {
		case errors.As(err, &fe):
			v.Add("file", fe.Error())
		case err != nil:
			return File{}, fmt.Errorf("decode upload: %w", err)
		}
	}
	if err := v.Err(); err != nil {
		return File{}, err
	}
	if err := l.open(); err != nil {
		return File{}, err
	}
	f := File{Name: name, Size: int64(len(data)), Seconds: clip.Duration().Round(time.Millisecond).Seconds(),
		SampleRate: info.SampleRate, Channels: info.Channels, BitDepth: info.BitDepth, CreatedAt: l.now().UTC()}
	err := l.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&f).Error; err != nil {
			return err
		}
		return tx.Create(&fileData{FileID: f.ID, Data: data}).Error
	})
	if err != nil {
		return File{}, fmt.Errorf("add media file: %w", err)
	}
	// The first call to play it need not decode it again.
	l.mu.Lock()
	l.changes++
	l.cache.put(fileKey(f.ID), clip, nil, time.Time{})
	l.mu.Unlock()
	return f, nil
}

// List returns every File, newest first.
func (l *Library) List(ctx context.Context) ([]File, error) {
	files := []File{}
	if err := l.db.WithContext(ctx).Order("id DESC").Find(&files).Error; err != nil {
		return nil, fmt.Errorf("list media files: %w", err)
	}
	return files, nil
}

// Get returns the File with id, or ErrNotFound.
func (l *Library) Get(ctx context.Context, id uint) (File, error) {
	var f File
	err := l.db.WithContext(ctx).First(&f, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return f, fmt.Errorf("media file %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return f, fmt.Errorf("media file %d: %w", id, err)
	}
	return f, nil
}

// Audio returns the File with id and its bytes as they were uploaded.
func (l *Library) Audio(ctx context.Context, id uint) (File, []byte, error) {
	f, err := l.Get(ctx, id)
	if err != nil {
		return f, nil, err
	}
	data, err := l.data(ctx, id)
	return f, data, err
}

func (l *Library) data(ctx context.Context, id uint) ([]byte, error) {
	var d fileData
	err := l.db.WithContext(ctx).First(&d, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("media file %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("media file %d: %w", id, err)
	}
	return d.Data, nil
}

// Delete removes the File with id, or returns ErrNotFound, or an
// *invalid.InUseError when Options.InUse names flows that play it. Calls that
// already hold its audio finish playing it.
func (l *Library) Delete(ctx context.Context, id uint) error {
	if err := l.open(); err != nil {
		return err
	}
	err := l.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if l.opts.InUse != nil {
			flows, err := l.opts.InUse(tx, id)
			if err != nil {
				return fmt.Errorf("flows using media file %d: %w", id, err)
			}
			if err := invalid.InUse("the file", flows, nil); err != nil {
				return err
			}
		}
		res := tx.Delete(&File{}, id)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("media file %d: %w", id, ErrNotFound)
		}
		return tx.Delete(&fileData{}, id).Error
	})
	if err != nil {
		return err
	}
	l.mu.Lock()
	l.changes++
	l.cache.remove(fileKey(id))
	l.mu.Unlock()
	return nil
}

// fileClip reads and decodes the File with id.
func (l *Library) fileClip(ctx context.Context, id uint) (*media.Clip, error) {
	data, err := l.data(ctx, id)
	if err != nil {
		return nil, err
	}
	clip, _, err := media.DecodeWAV(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("media file %d: %w", id, err)
	}
	return clip, nil
}

func fileKey(id uint) string { return fmt.Sprintf("file %d", id) }
