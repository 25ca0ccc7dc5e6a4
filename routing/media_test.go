package routing

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"pbx/media"
	"pbx/refusal"
)

// mediaCall is a fakeCall that can be answered by the PBX: it notes every
// prompt played and presses keys when told.
type mediaCall struct {
	*fakeCall
	mu       sync.Mutex
	answers  int
	plays    []int // samples of each clip played, in order
	keys     chan rune
	playFor  time.Duration // how long each Play takes; 0 is at once
	onPlay   func(n int)   // called as the nth Play (from 1) starts
	recorded []*media.Recorder
}

func newMediaCall(clk *clock, cancel context.CancelFunc, results map[uint]error) *mediaCall {
	return &mediaCall{fakeCall: &fakeCall{clock: clk, cancel: cancel, results: results}, keys: make(chan rune, 8)}
}

func (c *mediaCall) Answer(context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.answers++
	return nil
}

func (c *mediaCall) Play(ctx context.Context, clip *media.Clip) error {
	c.mu.Lock()
	c.plays = append(c.plays, clip.Len())
	n, on, d := len(c.plays), c.onPlay, c.playFor
	c.mu.Unlock()
	if on != nil {
		on(n)
	}
	if d == 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

func (c *mediaCall) Keys() <-chan rune { return c.keys }

func (c *mediaCall) Record(rec *media.Recorder) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.recorded = append(c.recorded, rec)
}

func (c *mediaCall) played() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.plays)
}

// clips resolves every prompt to a clip whose length says which prompt it
// was: text "a" plays 100 samples, "bb" 200 and so on.
type clips struct{}

func (clips) Clip(_ context.Context, p Prompt) (*media.Clip, error) {
	return media.NewClip(make([]int16, 100*len(p.Text))), nil
}

// safePresence is a presence the test changes while the engine reads it.
type safePresence struct {
	mu sync.Mutex
	fakePresence
}

func (p *safePresence) Registered(u uint) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.fakePresence.Registered(u)
}

func (p *safePresence) OnCall(u uint) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.fakePresence.OnCall(u)
}

func (p *safePresence) Roster(members []uint) ([]uint, <-chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.fakePresence.Roster(members)
}

func (p *safePresence) NextFree(users []uint, from int) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.fakePresence.NextFree(users, from)
}

func (p *safePresence) setOnCall(u uint, on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.onCall[u] = on
}

type mediaRun struct {
	call *mediaCall
	e    *Engine
	rec  CallRecord
	dir  string
}

// runMedia runs one call through doc with the media fakes; prepare may
// script the call and the engine before the call starts.
func runMedia(t *testing.T, doc Document, presence Presence, results map[uint]error, prepare func(*mediaRun)) mediaRun {
	t.Helper()
	fx := newEngineFixture(t)
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	fx.publish(t, doc)
	start := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	clk := &clock{t: start.Add(time.Second)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m := mediaRun{call: newMediaCall(clk, cancel, results), dir: t.TempDir()}
	m.e = NewEngine(fx.d, presence, fx.h, slog.New(slog.NewTextHandler(io.Discard, nil)), clk.now,
		WithPrompts(clips{}), WithRecordings(m.dir), WithMusic(media.NewClip(make([]int16, 7))))
	m.e.ivrTimeout = 200 * time.Millisecond
	if prepare != nil {
		prepare(&m)
	}
	m.e.Run(ctx, m.call, Inbound{From: "+15551230000", To: engineNumber, TrunkID: 3, StartedAt: start})
	recs, total, err := fx.h.List(context.Background(), CallFilter{})
	if err != nil || total != 1 {
		t.Fatalf("%d records (%v), want one", total, err)
	}
	m.rec = recs[0]
	return m
}

func menu(id, text string) State {
	return State{ID: id, Type: StateIVR, Prompt: &Prompt{Text: text}}
}

func announce(id, text string) State {
	return State{ID: id, Type: StateAnnounce, Prompt: &Prompt{Text: text}}
}

func TestIVRTakesTheKeysBranch(t *testing.T) {
	doc := flowOf([]State{menu("menu", "aaa"), user("alice", alice), user("bob", bob)}, "menu 1 alice", "menu 2 bob")
	m := runMedia(t, doc, everyone(), map[uint]error{bob: nil}, func(m *mediaRun) {
		// The key cuts the prompt short: it plays "forever" otherwise.
		m.call.playFor = time.Hour
		m.call.onPlay = func(int) { m.call.keys <- '2' }
	})
	if !slices.EqualFunc(m.call.dials, [][]uint{{bob}}, slices.Equal) {
		t.Fatalf("dialed %v, want bob", m.call.dials)
	}
	if m.call.answers != 1 || !slices.Equal(m.call.played(), []int{300}) {
		t.Errorf("answered %d times, played %v", m.call.answers, m.call.played())
	}
	if m.rec.Type != CallIncoming || m.rec.SIPCode != 200 || deref(m.rec.OwnerUserID) != bob || m.rec.AnsweredAt == nil {
		t.Errorf("record %+v", m.rec)
	}
}

func TestIVRTimesOutWithoutAKey(t *testing.T) {
	doc := flowOf([]State{menu("menu", "a"), user("alice", alice), announce("bye", "bb")}, "menu 1 alice", "menu timeout bye")
	m := runMedia(t, doc, everyone(), nil, func(m *mediaRun) {
		// '#' and '5' lead nowhere: ignored.
		m.call.onPlay = func(n int) {
			if n == 1 {
				m.call.keys <- '#'
				m.call.keys <- '5'
			}
		}
	})
	if len(m.call.dials) != 0 || !slices.Equal(m.call.played(), []int{100, 200}) {
		t.Fatalf("dialed %v, played %v; want the timeout exit's announcement", m.call.dials, m.call.played())
	}
	if m.rec.Type != CallMissed || m.rec.SIPCode != 200 || m.rec.HangupCause != CauseCompleted || len(m.call.refusals) != 0 {
		t.Errorf("record %+v, refusals %v", m.rec, m.call.refusals)
	}
}

func TestIVRTimeoutUnconnectedHangsUp(t *testing.T) {
	m := runMedia(t, flowOf([]State{menu("menu", "a"), user("alice", alice)}, "menu 1 alice"), everyone(), nil, nil)
	// The caller was answered: the engine's refusal hangs up; the record
	// keeps 200 and says why.
	if !slices.Equal(m.call.refusals, []refusal.Reason{refusal.NoAnswer}) || m.rec.SIPCode != 200 || m.rec.HangupCause != CauseNoAnswer {
		t.Errorf("refusals %v, record %+v", m.call.refusals, m.rec)
	}
}

func TestAnnounceThenNext(t *testing.T) {
	doc := flowOf([]State{announce("hello", "aaaa"), user("alice", alice)}, "hello next alice")
	m := runMedia(t, doc, everyone(), map[uint]error{alice: nil}, nil)
	if !slices.Equal(m.call.played(), []int{400}) || !slices.EqualFunc(m.call.dials, [][]uint{{alice}}, slices.Equal) {
		t.Fatalf("played %v, dialed %v", m.call.played(), m.call.dials)
	}
	if m.rec.Type != CallIncoming || m.rec.HangupCause != CauseCallerHungUp {
		t.Errorf("record %+v", m.rec)
	}
}

func voicemail(timeout, max int) State {
	return State{ID: "vm", Type: StateVoicemail, Prompt: &Prompt{Text: "aa"}, TimeoutSeconds: timeout, MaxSeconds: max}
}

func TestVoicemailSilentCallerTakesTheTimeoutExit(t *testing.T) {
	doc := flowOf([]State{voicemail(1, 60), announce("bye", "bbb")}, "vm timeout bye")
	m := runMedia(t, doc, everyone(), nil, nil)
	beep := media.Beep().Len()
	if !slices.Equal(m.call.played(), []int{200, beep, 300}) {
		t.Fatalf("played %v, want prompt, beep, then the timeout exit's announcement", m.call.played())
	}
	if m.rec.Voicemail || m.rec.Recording != "" {
		t.Errorf("a message was kept: %+v", m.rec)
	}
	if files, _ := filepath.Glob(filepath.Join(m.dir, "*", "*", "*", "*")); len(files) != 0 {
		t.Errorf("empty recording left behind: %v", files)
	}
}

func TestVoicemailEndsOnHashAndAtItsLimit(t *testing.T) {
	for _, tt := range []struct {
		name  string
		state State
		key   bool
	}{
		{"hash", voicemail(30, 60), true},
		{"limit", voicemail(30, 1), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			began := time.Now()
			m := runMedia(t, flowOf([]State{tt.state}), everyone(), nil, func(m *mediaRun) {
				m.call.onPlay = func(n int) {
					if n == 2 && tt.key { // the beep
						go func() { time.Sleep(100 * time.Millisecond); m.call.keys <- '#' }()
					}
				}
			})
			took := time.Since(began)
			if !m.rec.Voicemail || m.rec.Recording == "" || m.rec.HangupCause != CauseVoicemail || m.rec.SIPCode != 200 {
				t.Fatalf("record %+v", m.rec)
			}
			if tt.key && took > 5*time.Second || !tt.key && (took < time.Second || took > 5*time.Second) {
				t.Errorf("voicemail took %v", took)
			}
			if _, err := os.Stat(filepath.Join(m.dir, m.rec.Recording)); err != nil {
				t.Errorf("message file: %v", err)
			}
			if len(m.call.recorded) < 2 || m.call.recorded[0] == nil || m.call.recorded[len(m.call.recorded)-1] != nil {
				t.Errorf("recorder set %v, want a recorder then nil", m.call.recorded)
			}
		})
	}
}

func TestRecordedTransfer(t *testing.T) {
	st := user("alice", alice)
	st.Record = true
	m := runMedia(t, flowOf([]State{st}), everyone(), map[uint]error{alice: nil}, nil)
	if m.rec.Recording == "" || m.rec.Type != CallIncoming {
		t.Fatalf("record %+v", m.rec)
	}
	if _, err := os.Stat(filepath.Join(m.dir, m.rec.Recording)); err != nil {
		t.Errorf("recording file: %v", err)
	}
}

func queued(u uint, max, repeat int) State {
	st := user("alice", u)
	st.Queue = &Queue{MaxCalls: max, Notify: &Prompt{Text: "aaaaa"}, MusicRepeat: repeat}
	return st
}

func TestQueuedCallerConnectedWhenTheAgentFrees(t *testing.T) {
	p := &safePresence{fakePresence: everyone()}
	p.onCall[alice] = true
	m := runMedia(t, flowOf([]State{queued(alice, 2, 0)}), p, map[uint]error{alice: nil}, func(m *mediaRun) {
		m.call.playFor = 50 * time.Millisecond
		m.call.onPlay = func(n int) {
			if n == 3 { // notification, then music twice
				p.setOnCall(alice, false)
				m.e.UserFree(alice)
			}
		}
	})
	if !slices.EqualFunc(m.call.dials, [][]uint{{alice}}, slices.Equal) || m.rec.Type != CallIncoming {
		t.Fatalf("dialed %v, record %+v", m.call.dials, m.rec)
	}
	if got := m.call.played(); len(got) < 3 || got[0] != 500 || got[1] != 7 {
		t.Errorf("played %v, want the notification then the music", got)
	}
}

func TestQueueFullOrMusicOverIsBusy(t *testing.T) {
	p := &safePresence{fakePresence: everyone()}
	p.onCall[alice] = true
	// The music plays twice, then the caller leaves by busy to bob.
	doc := flowOf([]State{queued(alice, 1, 2), user("bob", bob)}, "alice busy bob")
	m := runMedia(t, doc, p, map[uint]error{bob: nil}, nil)
	if got := m.call.played(); !slices.Equal(got, []int{500, 7, 7}) || !slices.EqualFunc(m.call.dials, [][]uint{{bob}}, slices.Equal) {
		t.Fatalf("played %v, dialed %v", got, m.call.dials)
	}

	// With the queue full, the next caller goes straight to busy.
	m = runMedia(t, doc, p, map[uint]error{bob: nil}, func(m *mediaRun) {
		m.e.queues.join(queueKey{"user", 1}, &waiter{}, 1)
	})
	if len(m.call.played()) != 0 || m.call.answers != 0 || !slices.EqualFunc(m.call.dials, [][]uint{{bob}}, slices.Equal) {
		t.Fatalf("full queue: played %v, answered %d, dialed %v", m.call.played(), m.call.answers, m.call.dials)
	}
}

// A message left after a transfer to a user is that user's, whether the
// user was away, busy or did not answer; a voicemail state that names its
// mailbox's owner gives it to them instead.
func TestVoicemailOwner(t *testing.T) {
	for _, tt := range []struct {
		name     string
		presence Presence
		exit     string
		mailbox  uint
		want     uint
	}{
		{"user did not answer", everyone(), OutcomeTimeout, 0, alice},
		{"user away", away(everyone(), alice), OutcomeUnavailable, 0, alice},
		{"user busy", busy(everyone(), alice), OutcomeBusy, 0, alice},
		{"state names the mailbox", away(everyone(), alice), OutcomeUnavailable, bob, bob},
	} {
		t.Run(tt.name, func(t *testing.T) {
			vm := voicemail(30, 60)
			vm.UserID = tt.mailbox
			doc := flowOf([]State{user("alice", alice), vm}, "alice "+tt.exit+" vm")
			m := runMedia(t, doc, tt.presence, nil, func(m *mediaRun) {
				m.call.onPlay = func(n int) {
					if n == 2 { // the beep
						go func() { time.Sleep(100 * time.Millisecond); m.call.keys <- '#' }()
					}
				}
			})
			if !m.rec.Voicemail || deref(m.rec.OwnerUserID) != tt.want {
				t.Fatalf("voicemail %v owned by %d, want %d", m.rec.Voicemail, deref(m.rec.OwnerUserID), tt.want)
			}
		})
	}
}

type fullQuota struct{ asked int }

func (q *fullQuota) MayRecord(context.Context) bool { q.asked++; return false }
func (q *fullQuota) Recorded(int64)                 {}

// Past the storage quota a call that asks for a recording goes on without
// one.
func TestRecordingPastTheQuota(t *testing.T) {
	st := user("alice", alice)
	st.Record = true
	q := &fullQuota{}
	m := runMedia(t, flowOf([]State{st}), everyone(), map[uint]error{alice: nil}, func(m *mediaRun) { m.e.quota = q })
	if m.rec.Type != CallIncoming || m.rec.Recording != "" || q.asked != 1 {
		t.Fatalf("record %+v, quota asked %d times", m.rec, q.asked)
	}
	if files, _ := filepath.Glob(filepath.Join(m.dir, "*", "*", "*", "*")); len(files) != 0 {
		t.Fatalf("files %v", files)
	}
}

// Auto-delete removes exactly the recordings older than the cutoff, and
// their minutes.
func TestDeleteRecordingsBefore(t *testing.T) {
	st := user("alice", alice)
	st.Record = true
	m := runMedia(t, flowOf([]State{st}), everyone(), map[uint]error{alice: nil}, nil)
	ctx := context.Background()
	if secs, _ := m.e.history.RecordedSeconds(ctx); m.rec.Recording == "" || secs != int64(m.rec.RecordingSeconds) {
		t.Fatalf("record %+v, %d s recorded", m.rec, secs)
	}
	if n, err := m.e.DeleteRecordingsBefore(ctx, m.rec.StartedAt); err != nil || n != 0 {
		t.Fatalf("deleted %d (%v) of recordings not older than the cutoff", n, err)
	}
	n, err := m.e.DeleteRecordingsBefore(ctx, m.rec.StartedAt.Add(time.Second))
	if err != nil || n != 1 {
		t.Fatalf("deleted %d (%v)", n, err)
	}
	if _, err := os.Stat(filepath.Join(m.dir, m.rec.Recording)); !os.IsNotExist(err) {
		t.Fatalf("the file is still there: %v", err)
	}
	rec, _ := m.e.history.Call(ctx, m.rec.ID)
	if rec.HasRecording || rec.RecordingSeconds != 0 {
		t.Fatalf("record after delete %+v", rec)
	}
}
