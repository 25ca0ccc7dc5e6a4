package routing

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"pbx/media"
)

// A call the server was running when it died is in the history after the
// next start: closed when the server was last alive, "server restart", its
// recording kept and playable.
func TestCloseInterrupted(t *testing.T) {
	fx := newEngineFixture(t)
	ctx := context.Background()
	dir := t.TempDir()
	start := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	answered := start.Add(5 * time.Second)

	// A recording cut by the crash: its header still says 0 bytes, and the
	// last frame is half written.
	rel := filepath.Join("2025", "03", "01", "100000-crash.wav")
	path := filepath.Join(dir, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		t.Fatal(err)
	}
	h := media.WAVHeader(media.Rate, 2, 16, 0)
	audio := bytes.Repeat([]byte{1, 0}, media.Rate*2*3) // 3 s of stereo
	if err := os.WriteFile(path, append(append(h[:], audio...), 7, 7), 0o640); err != nil {
		t.Fatal(err)
	}

	alice := uint(1)
	rec := CallRecord{CallID: "crash@test", Direction: DirectionInbound, Type: CallIncoming, From: "+15551230000",
		To: engineNumber, Number: engineNumber, OwnerUserID: &alice, StartedAt: start}
	if err := fx.h.Begin(ctx, &rec); err != nil {
		t.Fatal(err)
	}
	rec.AnsweredAt, rec.Recording = &answered, rel
	if err := fx.h.Update(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if _, total, _ := fx.h.List(ctx, CallFilter{}); total != 0 {
		t.Fatalf("a call in progress is listed: %d", total)
	}
	alive := start.Add(65 * time.Second)
	if err := fx.h.KeepAlive(ctx, alive); err != nil {
		t.Fatal(err)
	}

	e := NewEngine(fx.d, everyone(), fx.h, slog.New(slog.NewTextHandler(io.Discard, nil)), time.Now, WithRecordings(dir))
	n, err := e.CloseInterrupted(ctx)
	if err != nil || n != 1 {
		t.Fatalf("closed %d (%v), want 1", n, err)
	}
	recs, total, err := fx.h.List(ctx, CallFilter{})
	if err != nil || total != 1 {
		t.Fatalf("%d records (%v)", total, err)
	}
	got := recs[0]
	if got.ID != rec.ID || got.HangupCause != CauseRestart || got.SIPCode != 200 || !got.EndedAt.Equal(alive) ||
		got.DurationSeconds != 60 || got.RecordingSeconds != 3 || !got.HasRecording || deref(got.OwnerUserID) != alice {
		t.Fatalf("record %+v", got)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != media.WAVHeaderSize+len(audio) || binary.LittleEndian.Uint32(b[40:44]) != uint32(len(audio)) ||
		binary.LittleEndian.Uint32(b[4:8]) != uint32(36+len(audio)) {
		t.Fatalf("recording not repaired: %d bytes, data size %d", len(b), binary.LittleEndian.Uint32(b[40:44]))
	}

	// Closing again finds nothing: the job is safe to run at every start.
	if n, err := e.CloseInterrupted(ctx); err != nil || n != 0 {
		t.Fatalf("second run closed %d (%v)", n, err)
	}
}

// A call whose record is begun and then completed is one row, listed once
// it ended.
func TestHistoryBeginThenRecord(t *testing.T) {
	h := testHistory(t)
	ctx := context.Background()
	start := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	rec := CallRecord{CallID: "a@test", Direction: DirectionOutbound, Type: CallOutgoing, From: "1001", To: "+4930123456", StartedAt: start}
	if err := h.Begin(ctx, &rec); err != nil || rec.ID == 0 {
		t.Fatalf("begin: id %d, %v", rec.ID, err)
	}
	open, err := h.InProgress(ctx)
	if err != nil || len(open) != 1 {
		t.Fatalf("in progress %v (%v)", open, err)
	}
	rec.EndedAt, rec.HangupCause, rec.SIPCode = start.Add(time.Minute), CauseCalleeHungUp, 200
	if err := h.Record(ctx, rec); err != nil {
		t.Fatal(err)
	}
	recs, total, _ := h.List(ctx, CallFilter{})
	if total != 1 || recs[0].ID != rec.ID || recs[0].HangupCause != CauseCalleeHungUp {
		t.Fatalf("records %+v", recs)
	}
	if open, _ := h.InProgress(ctx); len(open) != 0 {
		t.Fatalf("still in progress: %+v", open)
	}
}
