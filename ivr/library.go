package ivr

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"

	"pbx/media"
)

// Prompt is what a caller hears: exactly one of text read aloud, an
// uploaded file, or an audio URL. Its JSON is a flow document's prompt.
type Prompt struct {
	Text   string `json:"text,omitempty"`
	FileID uint   `json:"file_id,omitempty"`
	URL    string `json:"url,omitempty"`
}

// String names the prompt for logs.
func (p Prompt) String() string {
	switch {
	case p.FileID != 0:
		return "file " + strconv.FormatUint(uint64(p.FileID), 10)
	case p.URL != "":
		return "url " + p.URL
	case p.Text != "":
		return "text " + strconv.Quote(p.Text)
	}
	return "empty prompt"
}

// Options are the Library's settings; zero values take the defaults.
type Options struct {
	// TTSCommand is the speech synthesizer: espeak-ng, or a program that
	// takes the same arguments. Default "espeak-ng".
	TTSCommand string
	// TTSVoice is the synthesizer's voice. Default "en-us".
	TTSVoice string
	// TTSSpeed is the speaking rate in words a minute. Default 160.
	TTSSpeed int
	// URLTimeout bounds a whole fetch of an audio URL. Default 10s.
	URLTimeout time.Duration
	// URLMaxBytes is the largest audio URL body accepted. Default 20 MiB.
	URLMaxBytes int64
	// HTTPClient fetches audio URLs; nil means a client with URLTimeout.
	HTTPClient *http.Client
	// Log receives debug records of loads; nil discards them.
	Log *slog.Logger
	// Now tells the time, for the cache's expiry and files' creation; nil
	// means time.Now.
	Now func() time.Time
	// InUse, when set, names the call flows that play the media file with
	// id; Delete refuses to delete a file they name. It runs in Delete's
	// transaction, tx.
	InUse func(tx *gorm.DB, id uint) ([]string, error)
}

// Defaults of Options.
const (
	DefaultTTSCommand  = "espeak-ng"
	DefaultTTSVoice    = "en-us"
	DefaultTTSSpeed    = 160
	DefaultURLTimeout  = 10 * time.Second
	DefaultURLMaxBytes = 20 << 20
)

// How long loaded prompts are kept. Text and files do not change (a file is
// dropped when deleted); a URL may, so it is fetched again after a while.
// Failures are remembered briefly, so that a broken URL is not fetched for
// every call, yet a fixed one works at once.
const (
	urlKeep    = 10 * time.Minute
	failedKeep = 5 * time.Second
	// ttsTimeout bounds one run of the speech synthesizer.
	ttsTimeout = 30 * time.Second
	// Bounds of the cache: entries, and memory held by the clips.
	cacheEntries = 1024
	cacheBytes   = 256 << 20
)

// Library resolves prompts to audio and keeps the uploaded media files.
// Its methods are safe for concurrent use.
type Library struct {
	db     *gorm.DB
	opts   Options
	client *http.Client
	log    *slog.Logger
	now    func() time.Time

	// Loads run under ctx, not the context of the call that asked first,
	// so that its hanging up does not fail the others waiting for the
	// same prompt; Close cancels ctx and waits for them.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	closed  bool
	cache   *clipCache
	loads   map[string]*load
	changes uint64 // files added or deleted so far: a load that saw fewer must not cache
}

// load is one load of a prompt in progress; everyone asking for the prompt
// meanwhile waits for it.
type load struct {
	done chan struct{}
	clip *media.Clip
	err  error
}

// keep says how long a load's result stays cached.
type keep struct {
	clip time.Duration // a clip; 0: until evicted
	fail time.Duration // a failure; 0: not cached
}

// NewLibrary returns a Library keeping its files in db (see Models).
func NewLibrary(db *gorm.DB, opts Options) *Library {
	if opts.TTSCommand == "" {
		opts.TTSCommand = DefaultTTSCommand
	}
	if opts.TTSVoice == "" {
		opts.TTSVoice = DefaultTTSVoice
	}
	if opts.TTSSpeed <= 0 {
		opts.TTSSpeed = DefaultTTSSpeed
	}
	if opts.URLTimeout <= 0 {
		opts.URLTimeout = DefaultURLTimeout
	}
	if opts.URLMaxBytes <= 0 {
		opts.URLMaxBytes = DefaultURLMaxBytes
	}
	l := &Library{db: db, opts: opts, client: opts.HTTPClient, log: opts.Log, now: opts.Now,
		cache: newClipCache(cacheEntries, cacheBytes), loads: map[string]*load{}}
	if l.client == nil {
		l.client = &http.Client{Timeout: opts.URLTimeout}
	}
	if l.log == nil {
		l.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if l.now == nil {
		l.now = time.Now
	}
	l.ctx, l.cancel = context.WithCancel(context.Background())
	return l
}

// open returns ErrClosed after Close.
func (l *Library) open() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	return nil
}

// Close stops loads in progress and waits for them; afterwards every call
// returns ErrClosed.
func (l *Library) Close() {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	l.cancel()
	l.wg.Wait()
}

// Clip returns the audio of p, decoded once and shared: the caller must not
// change it. A text prompt is synthesized, a file read from the database, a
// URL fetched (http or https, within the time and size limits, a WAV file
// at any rate from 8 to 48 kHz). The wait ends early if ctx ends.
func (l *Library) Clip(ctx context.Context, p Prompt) (*media.Clip, error) {
	set := 0
	for _, ok := range []bool{p.Text != "", p.FileID != 0, p.URL != ""} {
		if ok {
			set++
		}
	}
	switch {
	case set == 0:
		return nil, ErrNoPrompt
	case set > 1:
		return nil, errors.New("prompt must hold only one of text, file_id and url")
	case p.FileID != 0:
		return l.load(ctx, fileKey(p.FileID), keep{fail: failedKeep}, func(ctx context.Context) (*media.Clip, error) {
			return l.fileClip(ctx, p.FileID)
		})
	case p.URL != "":
		return l.load(ctx, "url "+p.URL, keep{clip: urlKeep, fail: failedKeep}, func(ctx context.Context) (*media.Clip, error) {
			return l.fetch(ctx, p.URL)
		})
	}
	text := strings.TrimSpace(p.Text)
	if text == "" {
		return nil, errors.New("prompt text is blank")
	}
	key := fmt.Sprintf("tts %s %d %s", l.opts.TTSVoice, l.opts.TTSSpeed, text)
	return l.load(ctx, key, keep{fail: failedKeep}, func(ctx context.Context) (*media.Clip, error) {
		return l.speak(ctx, text)
	})
}

// load returns the clip cached under key, or loads it with fn, once for
// everyone asking at the same time.
func (l *Library) load(ctx context.Context, key string, k keep, fn func(context.Context) (*media.Clip, error)) (*media.Clip, error) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil, ErrClosed
	}
	if e, ok := l.cache.get(key, l.now()); ok {
		l.mu.Unlock()
		return e.clip, e.err
	}
	ld := l.loads[key]
	if ld == nil {
		ld = &load{done: make(chan struct{})}
		l.loads[key] = ld
		l.wg.Add(1)
		go l.run(key, ld, k, l.changes, fn)
	}
	l.mu.Unlock()
	select {
	case <-ld.done:
		return ld.clip, ld.err
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}

func (l *Library) run(key string, ld *load, k keep, changes uint64, fn func(context.Context) (*media.Clip, error)) {
	defer l.wg.Done()
	start := time.Now()
	ld.clip, ld.err = fn(l.ctx)
	l.mu.Lock()
	delete(l.loads, key)
	// Nothing is cached when a file was added or deleted meanwhile (this
	// may be it), nor what Close cut short.
	if l.changes == changes && l.ctx.Err() == nil {
		now := l.now()
		switch {
		case ld.err == nil:
			l.cache.put(key, ld.clip, nil, expiry(now, k.clip))
		case k.fail > 0:
			l.cache.put(key, nil, ld.err, now.Add(k.fail))
		}
	}
	l.mu.Unlock()
	close(ld.done)
	if ld.err == nil {
		l.log.Debug("prompt loaded", "prompt", key[:min(len(key), 120)], "seconds", ld.clip.Duration().Seconds(), "took", time.Since(start))
	}
}

func expiry(now time.Time, d time.Duration) time.Time {
	if d == 0 {
		return time.Time{}
	}
	return now.Add(d)
}
