package store

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"
)

func TestSQLLoggerRendersOnlyWhatItLogs(t *testing.T) {
	var out bytes.Buffer
	l := newSQLLogger(slog.New(slog.NewTextHandler(&out, nil)), time.Second)
	rendered := 0
	fc := func() (string, int64) { rendered++; return "SELECT 1", 1 }
	ctx := context.Background()

	l.Trace(ctx, time.Now(), fc, nil)
	l.Trace(ctx, time.Now(), fc, gorm.ErrRecordNotFound)
	if rendered != 0 || out.Len() != 0 {
		t.Fatalf("a fast statement and a record not found were rendered %d times and logged %q", rendered, out.String())
	}
	l.Trace(ctx, time.Now(), fc, errors.New("disk I/O error"))
	if rendered != 1 || !strings.Contains(out.String(), "level=ERROR") || !strings.Contains(out.String(), "disk I/O error") ||
		!strings.Contains(out.String(), "SELECT 1") {
		t.Fatalf("a failed statement logged %q", out.String())
	}
	out.Reset()
	l.Trace(ctx, time.Now().Add(-2*time.Second), fc, nil)
	if rendered != 2 || !strings.Contains(out.String(), "level=WARN") || !strings.Contains(out.String(), "slow SQL") {
		t.Fatalf("a slow statement logged %q", out.String())
	}
}

func TestOpenSQLiteReturnsUTC(t *testing.T) {
	db, err := Open(t.TempDir()+"/t.db", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer Close(db)
	type stamp struct {
		ID uint
		At time.Time
	}
	if err := Migrate(context.Background(), db, &stamp{}); err != nil {
		t.Fatal(err)
	}
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 2, 16, 0, 0, 123456789, paris)
	if err := db.Create(&stamp{At: at}).Error; err != nil {
		t.Fatal(err)
	}
	var got stamp
	if err := db.First(&got).Error; err != nil {
		t.Fatal(err)
	}
	if !got.At.Equal(at) || got.At.Location() != time.UTC {
		t.Fatalf("stored %v, read %v (%v)", at, got.At, got.At.Location())
	}
}
