package ivr

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"gorm.io/gorm"

	"pbx/invalid"
	"pbx/media"
	"pbx/store"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// newLibrary returns a Library on a fresh database, closed at the test's end.
func newLibrary(t *testing.T, opts Options) *Library {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := store.Open(filepath.Join(t.TempDir(), "pbx.db"), log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close(db) })
	if err := store.Migrate(context.Background(), db, Models()...); err != nil {
		t.Fatal(err)
	}
	l := NewLibrary(db, opts)
	t.Cleanup(l.Close)
	return l
}

// wav makes a PCM WAV file of a 440 Hz tone.
func wav(rate, channels, bits int, d time.Duration) []byte {
	frames := int(d * time.Duration(rate) / time.Second)
	block := channels * bits / 8
	var b bytes.Buffer
	le := binary.LittleEndian
	h := media.WAVHeader(rate, channels, bits, int64(frames*block))
	b.Write(h[:])
	for i := range frames {
		v := 0.5 * math.Sin(2*math.Pi*440*float64(i)/float64(rate))
		for range channels {
			switch bits {
			case 8:
				b.WriteByte(byte(128 + v*127))
			case 16:
				binary.Write(&b, le, int16(v*32767))
			case 24:
				s := int32(v * 8388607)
				b.Write([]byte{byte(s), byte(s >> 8), byte(s >> 16)})
			}
		}
	}
	return b.Bytes()
}

// fieldMessage returns the message of field in an *invalid.Error, or fails.
func fieldMessage(t *testing.T, err error, field string) string {
	t.Helper()
	var inv *invalid.Error
	if !errors.As(err, &inv) {
		t.Fatalf("error %v is not an *invalid.Error", err)
	}
	for _, f := range inv.Fields {
		if f.Field == field {
			return f.Message
		}
	}
	t.Fatalf("error %v does not name %s", err, field)
	return ""
}

func TestFiles(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	var inUse []string
	l := newLibrary(t, Options{Now: func() time.Time { return at },
		InUse: func(*gorm.DB, uint) ([]string, error) { return inUse, nil }})

	upload := wav(16000, 2, 16, 1500*time.Millisecond)
	f, err := l.Add(ctx, "  Welcome  ", upload)
	if err != nil {
		t.Fatal(err)
	}
	want := File{ID: f.ID, Name: "Welcome", Size: int64(len(upload)), Seconds: 1.5, SampleRate: 16000, Channels: 2, BitDepth: 16, CreatedAt: at}
	if f != want {
		t.Fatalf("added %+v, want %+v", f, want)
	}
	if got, err := l.Get(ctx, f.ID); err != nil || got != want {
		t.Fatalf("get: %+v, %v", got, err)
	}
	if list, err := l.List(ctx); err != nil || len(list) != 1 || list[0] != want {
		t.Fatalf("list: %+v, %v", list, err)
	}
	_, data, err := l.Audio(ctx, f.ID)
	if err != nil || !bytes.Equal(data, upload) {
		t.Fatalf("audio: %d bytes (uploaded %d), %v", len(data), len(upload), err)
	}
	clip, err := l.Clip(ctx, Prompt{FileID: f.ID})
	if err != nil || clip.Len() != 12000 {
		t.Fatalf("clip of the file: %v, %v", clip, err)
	}

	inUse = []string{"Support", "Sales"}
	var used *invalid.InUseError
	if err := l.Delete(ctx, f.ID); !errors.As(err, &used) || strings.Join(used.Flows, ",") != "Support,Sales" {
		t.Fatalf("delete of a file in use: %v", err)
	}
	if _, err := l.Get(ctx, f.ID); err != nil {
		t.Fatalf("a refused delete removed the file: %v", err)
	}
	inUse = nil
	if err := l.Delete(ctx, f.ID); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"get":    second(l.Get(ctx, f.ID)),
		"clip":   second(l.Clip(ctx, Prompt{FileID: f.ID})),
		"delete": l.Delete(ctx, f.ID),
	} {
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("%s after delete: %v, want ErrNotFound", name, err)
		}
	}
}

func second[T any](_ T, err error) error { return err }

func TestAddRefusesWhatCallsCannotPlay(t *testing.T) {
	l := newLibrary(t, Options{})
	tests := []struct {
		name, field, want string
		data              []byte
	}{
		{"24-bit", "file", "must be a PCM WAV file (8 to 48 kHz, mono or stereo, 8- or 16-bit): this one is 24-bit", wav(8000, 1, 24, time.Second)},
		{"mp3", "file", "is an MP3 file, not a WAV file", append([]byte("ID3\x04\x00\x00\x00\x00\x00\x00"), make([]byte, 400)...)},
		{"empty", "file", "is empty", nil},
		{"no name", "name", "must not be empty", wav(8000, 1, 16, time.Second)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := "Prompt"
			if tt.field == "name" {
				name = " "
			}
			_, err := l.Add(context.Background(), name, tt.data)
			if msg := fieldMessage(t, err, tt.field); !strings.HasPrefix(msg, tt.want) {
				t.Fatalf("%s: %q, want %q", tt.field, msg, tt.want)
			}
		})
	}
	if list, _ := l.List(context.Background()); len(list) != 0 {
		t.Fatalf("refused files were kept: %+v", list)
	}
}

// audioServer serves test WAV files and counts the requests of each path.
type audioServer struct {
	*httptest.Server
	mu      sync.Mutex
	hits    map[string]int
	release chan struct{} // /held waits for it
}

func newAudioServer(t *testing.T) *audioServer {
	t.Helper()
	s := &audioServer{hits: map[string]int{}, release: make(chan struct{})}
	good := wav(8000, 1, 16, time.Second)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits[r.URL.Path]++
		s.mu.Unlock()
		switch r.URL.Path {
		case "/ok.wav":
			w.Header().Set("Content-Type", "audio/x-wav")
			w.Write(good)
		case "/octet":
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Write(good)
		case "/page":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write([]byte("<html>not audio</html>"))
		case "/big":
			big := wav(8000, 1, 16, 10*time.Second)
			w.Header().Set("Content-Type", "audio/wav")
			w.Header().Set("Content-Length", strconv.Itoa(len(big)))
			w.Write(big)
		case "/big-streamed":
			w.Header().Set("Content-Type", "audio/wav")
			w.(http.Flusher).Flush() // no Content-Length
			w.Write(wav(8000, 1, 16, 10*time.Second))
		case "/slow":
			w.Header().Set("Content-Type", "audio/wav")
			select {
			case <-r.Context().Done():
			case <-s.release:
			}
		case "/held":
			select {
			case <-r.Context().Done():
			case <-s.release:
				w.Header().Set("Content-Type", "audio/wav")
				w.Write(good)
			}
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *audioServer) count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

func TestURLs(t *testing.T) {
	srv := newAudioServer(t)
	defer close(srv.release)
	// The timeout is long enough for a loaded machine to fetch 160 kB, short enough for a test.
	l := newLibrary(t, Options{URLTimeout: 2 * time.Second, URLMaxBytes: 100_000})
	tests := []struct {
		path string
		want string // in the error; "" for a clip
	}{
		{"/ok.wav", ""},
		{"/octet", ""},
		{"/missing", "the server answered 404 Not Found"},
		{"/page", `the server sent "text/html; charset=utf-8", not a WAV file`},
		{"/big", "the file is 160044 bytes, more than the limit of 100000"},
		{"/big-streamed", "the file is larger than the limit of 100000 bytes"},
		{"/slow", "within 2s"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			clip, err := l.Clip(context.Background(), Prompt{URL: srv.URL + tt.path})
			if tt.want == "" {
				if err != nil || clip.Len() != media.Rate {
					t.Fatalf("clip %v, error %v", clip, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), srv.URL+tt.path) {
				t.Fatalf("error %v, want one naming the URL and %q", err, tt.want)
			}
		})
	}
	// A refused connection, with the password left out of the error.
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	noServer := strings.Replace(closed.URL, "http://", "http://admin:secret@", 1) + "/a.wav"
	if _, err := l.Clip(context.Background(), Prompt{URL: noServer}); err == nil ||
		!strings.Contains(err.Error(), "connection refused") || strings.Contains(err.Error(), "secret") {
		t.Errorf("unreachable server: %v", err)
	}
	for _, u := range []string{"ftp://example.com/a.wav", "file:///etc/passwd", "http:///nohost"} {
		if _, err := l.Clip(context.Background(), Prompt{URL: u}); err == nil || !strings.Contains(err.Error(), "must be an http:// or https:// URL") {
			t.Errorf("%s: %v", u, err)
		}
	}
}

func TestURLIsCachedAndFailuresBriefly(t *testing.T) {
	srv := newAudioServer(t)
	now := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	l := newLibrary(t, Options{Now: clock})
	ctx := context.Background()

	a, err := l.Clip(ctx, Prompt{URL: srv.URL + "/ok.wav"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := l.Clip(ctx, Prompt{URL: srv.URL + "/ok.wav"})
	if a != b || srv.count("/ok.wav") != 1 {
		t.Fatalf("second play fetched again (%d fetches) or got another copy", srv.count("/ok.wav"))
	}
	advance(urlKeep + time.Second)
	l.Clip(ctx, Prompt{URL: srv.URL + "/ok.wav"})
	if srv.count("/ok.wav") != 2 {
		t.Fatalf("a URL was not fetched again after %s", urlKeep)
	}

	l.Clip(ctx, Prompt{URL: srv.URL + "/missing"})
	l.Clip(ctx, Prompt{URL: srv.URL + "/missing"})
	if srv.count("/missing") != 1 {
		t.Fatalf("a failing URL was fetched %d times at once", srv.count("/missing"))
	}
	advance(failedKeep)
	l.Clip(ctx, Prompt{URL: srv.URL + "/missing"})
	if srv.count("/missing") != 2 {
		t.Fatalf("a failed URL was not tried again after %s", failedKeep)
	}
}

func TestConcurrentLoadsCoalesce(t *testing.T) {
	srv := newAudioServer(t)
	l := newLibrary(t, Options{})
	p := Prompt{URL: srv.URL + "/held"}

	// One caller gives up; the others still get the clip.
	quitter, quit := context.WithCancel(context.Background())
	gaveUp := make(chan error, 1)
	go func() { _, err := l.Clip(quitter, p); gaveUp <- err }()

	const callers = 20
	clips := make(chan *media.Clip, callers)
	var wg sync.WaitGroup
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := l.Clip(context.Background(), p)
			if err != nil {
				t.Error(err)
			}
			clips <- c
		}()
	}
	for srv.count("/held") == 0 {
		time.Sleep(time.Millisecond)
	}
	quit()
	if err := <-gaveUp; !errors.Is(err, context.Canceled) {
		t.Fatalf("the caller who gave up got %v", err)
	}
	close(srv.release)
	wg.Wait()
	close(clips)
	first := <-clips
	for c := range clips {
		if c != first || c == nil {
			t.Fatal("callers got different copies of one prompt")
		}
	}
	if n := srv.count("/held"); n != 1 {
		t.Fatalf("%d callers at once fetched the URL %d times", callers+1, n)
	}
}

func TestCloseStopsLoads(t *testing.T) {
	srv := newAudioServer(t)
	defer close(srv.release)
	l := newLibrary(t, Options{URLTimeout: time.Minute})
	done := make(chan error, 1)
	go func() { _, err := l.Clip(context.Background(), Prompt{URL: srv.URL + "/slow"}); done <- err }()
	for srv.count("/slow") == 0 {
		time.Sleep(time.Millisecond)
	}
	l.Close()
	if err := <-done; err == nil {
		t.Fatal("a load cut short by Close succeeded")
	}
	if _, err := l.Clip(context.Background(), Prompt{Text: "hello"}); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
}

func TestPromptMustHoldOneSource(t *testing.T) {
	l := newLibrary(t, Options{})
	for _, p := range []Prompt{{}, {Text: "a", URL: "http://x/"}, {Text: " \n"}} {
		if _, err := l.Clip(context.Background(), p); err == nil {
			t.Errorf("%+v played", p)
		}
	}
}

// The speech tests run the real espeak-ng, which the test command installs.
func TestSpeech(t *testing.T) {
	if _, err := exec.LookPath(DefaultTTSCommand); err != nil {
		t.Fatalf("espeak-ng is not installed (apt-get install espeak-ng): %v", err)
	}
	l := newLibrary(t, Options{})
	ctx := context.Background()
	for _, text := range []string{"Press one for sales, two for support.", "-v nonsense --stdout"} {
		clip, err := l.Clip(ctx, Prompt{Text: text})
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		if d := clip.Duration(); d < 500*time.Millisecond || d > 10*time.Second {
			t.Fatalf("%q lasts %s", text, d)
		}
		if rms(clip.PCM()) < 300 {
			t.Fatalf("%q is (nearly) silent: RMS %.0f", text, rms(clip.PCM()))
		}
		again, err := l.Clip(ctx, Prompt{Text: text})
		if err != nil || again != clip {
			t.Fatalf("%q was synthesized again: %v", text, err)
		}
	}

	other := newLibrary(t, Options{TTSVoice: "nosuchvoice"})
	if _, err := other.Clip(ctx, Prompt{Text: "hello"}); err == nil || !strings.Contains(err.Error(), "nosuchvoice") {
		t.Fatalf("unknown voice: %v", err)
	}
	missing := newLibrary(t, Options{TTSCommand: "/nonexistent/espeak-ng"})
	if _, err := missing.Clip(ctx, Prompt{Text: "hello"}); !errors.Is(err, ErrNoTTS) {
		t.Fatalf("missing synthesizer: %v, want ErrNoTTS", err)
	}
}

func rms(pcm []int16) float64 {
	var sum float64
	for _, v := range pcm {
		sum += float64(v) * float64(v)
	}
	return math.Sqrt(sum / float64(max(len(pcm), 1)))
}

// Counting the synthesizer's runs shows that a cached text is not
// synthesized again however many calls play it at once.
func TestSpeechRunsOnce(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "tts")
	runs := filepath.Join(dir, "runs")
	writeScript(t, script, "#!/bin/sh\necho run >> "+runs+"\nsleep 0.2\nexec espeak-ng \"$@\"\n")
	l := newLibrary(t, Options{TTSCommand: script})
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := l.Clip(context.Background(), Prompt{Text: "Hello"}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	l.Clip(context.Background(), Prompt{Text: "Hello"})
	if n := strings.Count(readFile(t, runs), "run"); n != 1 {
		t.Fatalf("the synthesizer ran %d times for one text", n)
	}
}

func writeScript(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
