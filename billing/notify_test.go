package billing

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestNotificationsOncePerKeyAndSignedWebhook(t *testing.T) {
	got := make(chan *http.Request, 4)
	bodies := make(chan []byte, 4)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- r
		bodies <- b
	}))
	defer hook.Close()
	n := NewNotifier(testDB(t), hook.URL, "shared-secret", slog.New(slog.NewTextHandler(io.Discard, nil)), time.Now)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- n.Run(ctx) }()
	defer func() { cancel(); <-done }()

	n.Notify(ctx, "low:1", NoteLowBalance, "Low balance", "The balance is 1 credit.")
	n.Notify(ctx, "low:1", NoteLowBalance, "Low balance", "The balance is 1 credit.") // the same event again
	n.Notify(ctx, "quota:2026-03", NoteQuotaReached, "Storage full", "Recordings are not stored.")
	list, unread, err := n.List(ctx)
	if err != nil || len(list) != 2 || unread != 2 || list[0].Kind != NoteQuotaReached {
		t.Fatalf("list %+v, %d unread (%v)", list, unread, err)
	}
	for range 2 {
		select {
		case r := <-got:
			b := <-bodies
			var note Notification
			if err := json.Unmarshal(b, &note); err != nil || note.Title == "" {
				t.Fatalf("webhook body %s", b)
			}
			if r.Header.Get("X-PBX-Signature") != Sign([]byte("shared-secret"), b) {
				t.Fatalf("signature %q", r.Header.Get("X-PBX-Signature"))
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the webhook heard nothing")
		}
	}
	select {
	case <-got:
		t.Fatal("a notification was posted twice")
	case <-time.After(200 * time.Millisecond):
	}
	if _, err := n.MarkRead(ctx, list[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := n.Dismiss(ctx, list[1].ID); err != nil {
		t.Fatal(err)
	}
	list, unread, _ = n.List(ctx)
	if len(list) != 1 || !list[0].Read || unread != 0 {
		t.Fatalf("after read and dismiss: %+v, %d unread", list, unread)
	}
}
