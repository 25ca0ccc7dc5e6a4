package sip

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestThrottleBoundsLogFloods(t *testing.T) {
	var buf bytes.Buffer
	now := time.Unix(100, 0)
	log := slog.New(newThrottle(slog.NewTextHandler(&buf, nil), 3, func() time.Time { return now })).With("caller", "parser")
	for range 1000 {
		log.Error("failed to parse", "data", "junk")
	}
	if n := strings.Count(buf.String(), "\n"); n != 3 {
		t.Fatalf("%d lines logged in one second, want 3", n)
	}
	now = now.Add(time.Second)
	log.Error("failed to parse")
	if !strings.Contains(buf.String(), "log_records_dropped=997") {
		t.Fatalf("the next record does not say how many were dropped:\n%s", buf.String())
	}
}
