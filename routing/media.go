package routing

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"pbx/media"
	"pbx/refusal"
)

// The states that answer the caller themselves: ivr, announce, voicemail,
// and the queue of a transfer whose user or group is busy.

// answer answers the caller with the PBX's media, once.
func (r *run) answer(ctx context.Context) *ending {
	if r.answered {
		return nil
	}
	if err := r.call.Answer(ctx); err != nil {
		end := r.internal(ctx, "answer call", err)
		return &end
	}
	r.answered = true
	if r.rec.AnsweredAt == nil {
		at := r.e.now()
		r.rec.AnsweredAt = &at
	}
	r.save(ctx)
	r.show(r.shown.Status, State{})
	r.startMetering(ctx)
	return nil
}

// clip resolves a prompt to audio. A prompt that cannot be had (a URL that
// fails, a file deleted) is logged and plays as nothing: the caller still
// goes through the flow.
func (r *run) clip(ctx context.Context, p *Prompt) *media.Clip {
	if p == nil || (p.Text == "" && p.FileID == 0 && p.URL == "") {
		return nil
	}
	if r.e.prompts == nil {
		r.log.Warn("no prompt library; playing nothing")
		return nil
	}
	c, err := r.e.prompts.Clip(ctx, *p)
	if err != nil {
		if ctx.Err() == nil {
			r.log.Error("prompt unavailable; playing nothing", "error", err)
		}
		return nil
	}
	return c
}

// play plays a prompt to the answered caller.
func (r *run) play(ctx context.Context, p *Prompt) error {
	c := r.clip(ctx, p)
	if c == nil {
		return ctx.Err()
	}
	return r.call.Play(ctx, c)
}

// drain discards keys pressed before now.
func drain(keys <-chan rune) {
	for {
		select {
		case <-keys:
		default:
			return
		}
	}
}

// announce plays its prompt and goes on by "next".
func (r *run) announce(ctx context.Context, st State) (string, *ending) {
	if end := r.answer(ctx); end != nil {
		return "", end
	}
	if err := r.play(ctx, st.Prompt); err != nil && ctx.Err() != nil {
		return "", &ending{cause: CauseCallerHungUp}
	}
	return OutcomeNext, nil
}

// ivr plays its announcement and leaves by the first key the caller presses
// that has a connection, during the announcement (which it cuts short) or
// in the IVRTimeoutSeconds after it; otherwise by "timeout". Keys with no
// connection are ignored.
func (r *run) ivr(ctx context.Context, st State) (string, *ending) {
	if end := r.answer(ctx); end != nil {
		return "", end
	}
	keys := r.call.Keys()
	drain(keys)
	clip := r.clip(ctx, st.Prompt)
	pctx, stop := context.WithCancel(ctx)
	defer stop()
	played := make(chan struct{})
	go func() {
		defer close(played)
		if clip != nil {
			r.call.Play(pctx, clip)
		}
	}()
	playing := played
	var timeout <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			<-played
			return "", &ending{cause: CauseCallerHungUp}
		case <-playing:
			playing = nil
			t := time.NewTimer(r.e.ivrTimeout)
			defer t.Stop()
			timeout = t.C
		case k := <-keys:
			if _, ok := r.doc.Next(st.ID, string(k)); !ok {
				r.log.Debug("key with no connection", "state", st.ID, "key", string(k))
				continue
			}
			stop()
			<-played
			r.log.Info("menu key", "state", st.ID, "key", string(k))
			return string(k), nil
		case <-timeout:
			r.log.Info("menu timed out", "state", st.ID)
			return OutcomeTimeout, nil
		}
	}
}

// voicemail plays its prompt and a beep, then records the caller's message
// until they hang up, press #, or reach the state's limit; the message is
// kept with the call's record. A caller who says nothing for the state's
// timeout leaves by "timeout" and no message is kept; one who stops
// speaking for that long ends the message.
func (r *run) voicemail(ctx context.Context, st State) (string, *ending) {
	if st.UserID != 0 {
		// The state names the mailbox's owner; otherwise the message
		// belongs to the user the call was last meant for, if any.
		r.rec.OwnerUserID = &st.UserID
	}
	if end := r.answer(ctx); end != nil {
		return "", end
	}
	hungUp := &ending{cause: CauseCallerHungUp}
	if err := r.play(ctx, st.Prompt); err != nil && ctx.Err() != nil {
		return "", hungUp
	}
	if err := r.call.Play(ctx, r.e.beep); err != nil && ctx.Err() != nil {
		return "", hungUp
	}
	keys := r.call.Keys()
	drain(keys)
	rec := r.record(ctx, 1, "-voicemail")
	if rec == nil {
		end := ending{refused: refusal.VoicemailUnavailable, cause: CauseInternal}
		return "", &end
	}
	r.rec.Voicemail = true // the file is a message, should the server stop now
	r.save(ctx)
	limit := time.Duration(st.MaxSeconds) * time.Second
	if limit <= 0 {
		limit = MaxVoicemailSeconds * time.Second
	}
	quiet := time.Duration(st.TimeoutSeconds) * time.Second
	if quiet <= 0 {
		quiet = DefaultVoicemailTimeout * time.Second
	}
	began := time.Now()
	end := time.NewTimer(limit)
	defer end.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	kept := &ending{answered: true, cause: CauseVoicemail}
	for {
		select {
		case <-ctx.Done():
			r.keepVoicemail("hung up")
			return "", hungUp
		case k := <-keys:
			if k == '#' {
				r.keepVoicemail("# pressed")
				return "", kept
			}
		case <-end.C:
			r.keepVoicemail("limit reached")
			return "", kept
		case <-tick.C:
			heard := rec.LastVoice()
			switch {
			case heard.Before(began) && time.Since(began) >= quiet:
				r.dropRecording()
				r.log.Info("no message left", "state", st.ID)
				return OutcomeTimeout, nil
			case !heard.Before(began) && time.Since(heard) >= quiet:
				r.keepVoicemail("silence")
				return "", kept
			}
		}
	}
}

func (r *run) keepVoicemail(why string) {
	r.call.Record(nil)
	r.rec.Voicemail = true
	r.log.Info("voicemail left", "ended_by", why)
}

// record opens a recording of channels (1: the caller, 2: caller and the
// other party) under the recordings directory, named after the call, and
// starts it. It returns nil, having logged why, when recording is off or
// the file cannot be made; the call goes on unrecorded.
func (r *run) record(ctx context.Context, channels int, suffix string) *media.Recorder {
	if r.e.recordings == "" {
		r.log.Warn("recording asked for, but no recordings directory is set")
		return nil
	}
	if r.recorder != nil {
		return r.recorder
	}
	if r.e.quota != nil && !r.e.quota.MayRecord(ctx) {
		r.log.Warn("recording not stored: the storage quota is reached")
		return nil
	}
	rel := filepath.Join(r.rec.StartedAt.UTC().Format("2006/01/02"), fileName(r.rec.StartedAt, r.rec.CallID)+suffix+".wav")
	rec, err := media.NewRecorder(filepath.Join(r.e.recordings, rel), channels)
	if err != nil {
		r.log.Error("open recording", "error", err)
		return nil
	}
	r.recorder, r.rec.Recording = rec, rel
	r.call.Record(rec)
	return rec
}

// closeRecording closes the call's recording, if any, and notes its length.
func (r *run) closeRecording() {
	if r.recorder == nil {
		return
	}
	r.call.Record(nil)
	if err := r.recorder.Close(); err != nil {
		r.log.Error("close recording", "file", r.recorder.Path(), "error", err)
	}
	r.rec.RecordingSeconds = int(r.recorder.Duration().Round(time.Second) / time.Second)
	if r.e.quota != nil {
		r.e.quota.Recorded(int64(r.rec.RecordingSeconds))
	}
	r.log.Info("recording closed", "file", r.rec.Recording, "seconds", r.rec.RecordingSeconds)
	r.recorder = nil
}

// dropRecording stops and deletes a recording that holds nothing worth
// keeping.
func (r *run) dropRecording() {
	if r.recorder == nil {
		return
	}
	r.call.Record(nil)
	r.recorder.Close()
	if err := os.Remove(r.recorder.Path()); err != nil {
		r.log.Warn("remove empty recording", "error", err)
	}
	r.recorder, r.rec.Recording, r.rec.Voicemail = nil, "", false
}

// fileName makes a file name of a call's start and its Call-ID, keeping
// only characters that are safe on any file system.
func fileName(at time.Time, callID string) string {
	var b strings.Builder
	b.WriteString(at.UTC().Format("150405"))
	b.WriteByte('-')
	for _, c := range callID {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
			b.WriteRune(c)
		default:
			b.WriteByte('_')
		}
		if b.Len() >= 80 {
			break
		}
	}
	return b.String()
}

// queues holds the callers waiting for a busy user or group, in the order
// they came, by target.
type queues struct {
	mu      sync.Mutex
	waiting map[queueKey][]*waiter
	freed   chan struct{} // closed and replaced whenever a user's call ends
}

type waiter struct{}

// queueKey names the user or group a queue waits for.
type queueKey struct {
	kind string // user or group
	id   uint
}

func (k queueKey) String() string { return k.kind + " " + strconv.FormatUint(uint64(k.id), 10) }

func (q *queues) init() {
	q.waiting = make(map[queueKey][]*waiter)
	q.freed = make(chan struct{})
}

// join adds w at the end of target's queue unless it holds max already.
func (q *queues) join(target queueKey, w *waiter, max int) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.waiting[target]) >= max {
		return false
	}
	q.waiting[target] = append(q.waiting[target], w)
	return true
}

func (q *queues) leave(target queueKey, w *waiter) {
	q.mu.Lock()
	defer q.mu.Unlock()
	list := q.waiting[target]
	for i, x := range list {
		if x == w {
			list = append(list[:i:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(q.waiting, target)
	} else {
		q.waiting[target] = list
	}
}

// first reports whether w is at the head of target's queue, and returns
// the channel closed when some user's call next ends.
func (q *queues) first(target queueKey, w *waiter) (bool, <-chan struct{}) {
	q.mu.Lock()
	defer q.mu.Unlock()
	list := q.waiting[target]
	return len(list) > 0 && list[0] == w, q.freed
}

// size returns how many callers wait in target's queue.
func (q *queues) size(target queueKey) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.waiting[target])
}

// UserFree tells the engine that a user's last call ended, so that a caller
// queued for them is connected at once rather than at the next check.
func (e *Engine) UserFree(uint) {
	e.queues.mu.Lock()
	close(e.queues.freed)
	e.queues.freed = make(chan struct{})
	e.queues.mu.Unlock()
}

// queueCheck is how often a queued caller looks for a free agent when no
// call ending wakes it (a phone registering, an agent who did not answer).
const queueCheck = time.Second

// queue holds a caller who found st's user or group busy, when st has a
// queue: the caller is answered, hears the notification and then the music
// (music_repeat times, or until connected when 0), and is dialled to the
// users free returns as soon as there are some and the caller is first in
// line. A full queue, or the music's end, leaves by "busy"; nobody
// registered any more leaves by "unavailable".
func (r *run) queue(ctx context.Context, st State, target queueKey, free func() (avail []uint, anyone bool)) (string, *ending) {
	q := st.Queue
	if q == nil || q.MaxCalls <= 0 {
		return OutcomeBusy, nil
	}
	w := &waiter{}
	if !r.e.queues.join(target, w, q.MaxCalls) {
		r.log.Info("queue full", "state", st.ID, "target", target)
		return OutcomeBusy, nil
	}
	r.e.queuesChanged()
	defer r.e.queuesChanged()
	defer r.e.queues.leave(target, w)
	r.shown.Queue = target.String()
	r.show(LiveQueued, State{})
	if end := r.answer(ctx); end != nil {
		return "", end
	}
	r.log.Info("queued", "state", st.ID, "target", target, "position", r.e.queues.size(target))

	music := r.clip(ctx, q.Music)
	if music == nil {
		music = r.e.music
	}
	mctx, stopMusic := context.WithCancel(ctx)
	defer stopMusic()
	musicOver := make(chan struct{})
	go func() {
		defer close(musicOver)
		if err := r.play(mctx, q.Notify); err != nil {
			return
		}
		for i := 0; q.MusicRepeat == 0 || i < q.MusicRepeat; i++ {
			if err := r.call.Play(mctx, music); err != nil {
				return
			}
		}
	}()
	check := time.NewTicker(queueCheck)
	defer check.Stop()
	for {
		head, freed := r.e.queues.first(target, w)
		if head {
			avail, anyone := free()
			if !anyone {
				return OutcomeUnavailable, nil
			}
			if len(avail) > 0 {
				if _, end := r.dial(ctx, avail, ringFor(st, DefaultRingSeconds), st.Record); end != nil {
					stopMusic()
					<-musicOver
					return "", end
				}
			}
		}
		select {
		case <-ctx.Done():
			return "", &ending{cause: CauseCallerHungUp}
		case <-musicOver:
			if ctx.Err() != nil {
				return "", &ending{cause: CauseCallerHungUp}
			}
			r.log.Info("queue music over", "state", st.ID)
			return OutcomeBusy, nil
		case <-freed:
		case <-check.C:
		}
	}
}
