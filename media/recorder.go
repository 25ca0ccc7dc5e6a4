package media

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/zaf/g711"
)

// Recorder timing, in samples (frames of all channels) at Rate.
const (
	// recJitter is how late a packet may arrive, after its place in the
	// recording, and still be put there: audio older than that is in the
	// file. A stream later than that is placed anew by arrival.
	recJitter = Rate / 5
	// recChunk is how much is written to the file at once.
	recChunk = Rate / 5
	// recBuffer bounds what is held in memory: recJitter+recChunk, room for
	// packets a little ahead of the clock, and for oversized ones.
	recBuffer = Rate
	// recEarly and recLate bound how far a stream may drift from the wall
	// clock (a fast or slow sender clock, a first packet that was delayed)
	// before it is moved back onto it: together they keep the channels
	// within 60 ms of each other.
	recEarly = Rate / 50
	recLate  = Rate / 25
	// recWindow is how long the smallest lateness of a stream is looked for
	// before the stream is judged late: network jitter delays some packets,
	// a slow clock delays them all.
	recWindow = 2 * Rate
	// refreshEvery is how often the header's sizes are brought up to date,
	// so a crash leaves a playable file.
	refreshEvery = 5 * time.Second
	// voiceLevel is the mean square of -45 dBFS: louder frames on channel 0
	// are speech.
	voiceLevel = 32768 * 32768 / 31623 // 10^(45/10) ≈ 31623
)

// law is a G.711 variant a Recorder decodes; none marks what is not audio.
type law uint8

const (
	none law = iota
	ulaw
	alaw
)

// lawOf returns how to decode payload type pt of a leg with format f; a leg
// without a format is taken to use the static payload types 0 and 8.
func lawOf(f Format, pt uint8) law {
	if f.Audio.Name == "" {
		switch pt {
		case 0:
			return ulaw
		case 8:
			return alaw
		}
		return none
	}
	if pt != f.Audio.PT {
		return none
	}
	switch {
	case f.Audio.is(PCMU):
		return ulaw
	case f.Audio.is(PCMA):
		return alaw
	}
	return none
}

// Recorder writes a call's audio to a WAV file (8 kHz, 16-bit PCM) while the
// call goes on: mono for voicemail, or stereo with the caller on the left
// channel (0) and the agent on the right (1). It holds about a second in
// memory (more while a slow disk catches up) and brings the header up to
// date every few seconds, so a crash loses little and leaves a file that
// plays.
//
// Each channel's packets are placed on one timeline: a stream by the time
// its first packet arrives, and from then on by its RTP timestamps, so
// jitter and reordering do not move audio about, while a new SSRC, a
// timestamp jump or a sender clock drifting off the wall clock places it
// anew by arrival. Gaps are silence. The timeline runs on the wall clock from
// NewRecorder to Close, so a party that sends nothing (on hold, muted)
// leaves silence on its channel, and the recording lasts as long as it ran
// even if nobody spoke.
//
// A Relay or Listener feeds a Recorder; its methods are safe for concurrent
// use, and packets fed after Close are ignored.
type Recorder struct {
	path     string
	channels int

	// The file is written by the Recorder's own goroutine, so that a slow
	// disk (writeback throttling a writer for tens of milliseconds) never
	// holds up a packet being relayed: the packet path hands it chunks.
	f       *os.File
	chunks  chan chunk
	written chan struct{} // closed when the writer has ended
	werr    error         // the writer's first error; read once written is closed

	mu        sync.Mutex
	err       error
	closed    bool
	closeOnce sync.Once
	start     time.Time // when the Recorder was made: sample 0
	flushed   int64     // samples handed to the writer
	end       int64     // one past the last sample a packet filled
	buf       []byte    // samples flushed and on, interleaved little-endian
	tracks    [2]track
	voice     time.Time
	duration  time.Duration
}

// chunk is audio on its way to the file.
type chunk struct {
	b  *[]byte
	at time.Time // when it was handed over
}

// recQueue is how many chunks may wait for the disk: 10 s at least. A disk
// slower than that for longer fails the recording rather than the call.
const recQueue = 50

// chunkPool holds the buffers of chunks: one is a flush of up to recBuffer
// stereo samples.
var chunkPool = sync.Pool{New: func() any { b := make([]byte, 0, recBuffer*4); return &b }}

// errBehind fails a recording whose disk fell too far behind.
var errBehind = errors.New("the disk fell behind the call; recording stopped")

// track places one channel's stream on the timeline.
type track struct {
	started bool
	ssrc    uint32
	ts      uint32 // of the last packet
	pos     int64  // where the last packet was placed
	minLate int64  // smallest lateness in the window
	window  int64  // arrival position where the window ends
}

// NewRecorder creates the WAV file at path, and its directory, for 1
// (voicemail) or 2 (caller left, agent right) channels. It fails if the
// file exists.
func NewRecorder(path string, channels int) (*Recorder, error) {
	if channels != 1 && channels != 2 {
		return nil, fmt.Errorf("record %s: %d channels, want 1 or 2", path, channels)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	now := time.Now()
	r := &Recorder{path: path, channels: channels, f: f, buf: make([]byte, recBuffer*channels*2), start: now,
		chunks: make(chan chunk, recQueue), written: make(chan struct{})}
	h := r.header(0)
	if _, err := f.Write(h[:]); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("record %s: %w", path, err)
	}
	go r.write()
	return r, nil
}

// write writes the chunks to the file as they come, and brings the header
// up to date every refreshEvery of them, until Close.
func (r *Recorder) write() {
	defer close(r.written)
	var size int64
	refresh := r.start
	for c := range r.chunks {
		if r.werr == nil {
			_, r.werr = r.f.Write(*c.b)
			size += int64(len(*c.b))
			if r.werr == nil && c.at.Sub(refresh) >= refreshEvery {
				refresh = c.at
				r.werr = r.writeSizes(size)
			}
		}
		*c.b = (*c.b)[:0]
		chunkPool.Put(c.b)
	}
}

// Path returns the file's path.
func (r *Recorder) Path() string { return r.path }

// Duration returns the length of the recording so far, or at Close.
func (r *Recorder) Duration() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return r.duration
	}
	return samples(max(r.end, r.flushed, r.since(time.Now())))
}

// since returns the samples from the recording's start to now.
func (r *Recorder) since(now time.Time) int64 {
	return max(int64(now.Sub(r.start)/(time.Second/Rate)), 0)
}

// LastVoice returns when channel 0 last carried speech (a packet louder than
// -45 dBFS); zero if it never did. Voicemail ends on a long enough silence.
func (r *Recorder) LastVoice() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.voice
}

// Close writes what is buffered, padding the channels to one length, puts
// the final sizes in the header and closes the file. It returns the first
// error writing met; calling it again returns the same.
func (r *Recorder) Close() error {
	r.closeOnce.Do(func() {
		r.mu.Lock()
		r.closed = true
		// The recording lasts as long as it ran, whoever spoke: silence
		// fills what nobody sent.
		r.flush(max(r.end, r.flushed, r.since(time.Now())), time.Now())
		close(r.chunks)
		r.mu.Unlock()
		<-r.written // not under mu: the packet path goes on meanwhile

		r.mu.Lock()
		defer r.mu.Unlock()
		r.fail(r.werr)
		if r.err == nil {
			r.fail(r.writeSizes(r.flushed * int64(r.channels*2)))
		}
		r.fail(r.f.Close())
		r.duration = samples(r.flushed)
	})
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// record places one packet's G.711 payload on channel ch. It runs for every
// packet and must not allocate.
func (r *Recorder) record(ch int, l law, ssrc, ts uint32, payload []byte) {
	r.recordAt(time.Now(), ch, l, ssrc, ts, payload)
}

func (r *Recorder) recordAt(now time.Time, ch int, l law, ssrc, ts uint32, payload []byte) {
	if l == none || len(payload) == 0 || ch < 0 || ch >= r.channels {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed || r.err != nil {
		return
	}
	arrival := r.since(now)
	pos := r.tracks[ch].place(ssrc, ts, arrival)

	// Samples older than what is written arrived too late to place.
	skip := max(r.flushed-pos, 0)
	n := min(int64(len(payload)), r.flushed+recBuffer-pos)
	frame := int64(r.channels * 2)
	var energy int64
	for i := skip; i < n; i++ {
		var v int16
		if l == ulaw {
			v = g711.DecodeUlawFrame(payload[i])
		} else {
			v = g711.DecodeAlawFrame(payload[i])
		}
		energy += int64(v) * int64(v)
		binary.LittleEndian.PutUint16(r.buf[(pos+i-r.flushed)*frame+int64(ch*2):], uint16(v))
	}
	if n > skip {
		r.end = max(r.end, pos+n)
		if ch == 0 && energy > voiceLevel*(n-skip) {
			r.voice = now
		}
	}
	if arrival-recJitter-r.flushed >= recChunk {
		r.flush(arrival-recJitter, now)
	}
}

// place returns where a packet goes on the timeline, in samples.
func (t *track) place(ssrc, ts uint32, arrival int64) int64 {
	pos := t.pos + int64(int32(ts-t.ts))
	late := arrival - pos
	switch {
	case !t.started || ssrc != t.ssrc || late > recJitter:
		// A new stream, a timestamp jump, or a pause the timestamps do
		// not show: only the arrival time tells where this goes.
		t.started, t.ssrc = true, ssrc
		t.minLate, t.window = math.MaxInt64, arrival+recWindow
		pos = arrival
	case late < -recEarly:
		pos = arrival // placed by a packet that was delayed, or a fast clock
	default:
		t.minLate = min(t.minLate, late)
		if arrival >= t.window {
			if t.minLate > recLate {
				pos += t.minLate // the sender's clock is slow
			}
			t.minLate, t.window = math.MaxInt64, arrival+recWindow
		}
	}
	t.ts, t.pos = ts, pos
	return pos
}

// flush hands the timeline up to sample to to the writer, silence where
// nothing was placed. It does not wait for the disk.
func (r *Recorder) flush(to int64, now time.Time) {
	frame := int64(r.channels * 2)
	for r.flushed < to && r.err == nil {
		n := min(to-r.flushed, recBuffer)
		b := chunkPool.Get().(*[]byte)
		*b = append(*b, r.buf[:n*frame]...)
		select {
		case r.chunks <- chunk{b, now}:
		default:
			chunkPool.Put(b)
			r.fail(errBehind)
			return
		}
		rest := copy(r.buf, r.buf[n*frame:])
		clear(r.buf[rest:])
		r.flushed += n
	}
}

// writeSizes brings the RIFF and data chunk sizes up to size bytes of
// audio. Only the writer, or Close once it has ended, calls it.
func (r *Recorder) writeSizes(size int64) error {
	h := r.header(size)
	if _, err := r.f.WriteAt(h[4:8], 4); err != nil {
		return err
	}
	_, err := r.f.WriteAt(h[40:44], 40)
	return err
}

func (r *Recorder) fail(err error) {
	if err != nil && r.err == nil {
		r.err = fmt.Errorf("record %s: %w", r.path, err)
	}
}

// header returns the file's header for size bytes of audio.
func (r *Recorder) header(size int64) [WAVHeaderSize]byte {
	return WAVHeader(Rate, r.channels, 16, size)
}

func samples(n int64) time.Duration { return time.Duration(n) * (time.Second / Rate) }

// RepairRecording makes a recording that a crash left open whole: the
// header's sizes are set to the audio the file holds, cut to whole frames,
// as Close would have. It returns the recording's length. A file that is
// not one of our recordings (no 8 kHz 16-bit PCM header) is left alone.
func RepairRecording(path string) (time.Duration, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return 0, fmt.Errorf("repair %s: %w", path, err)
	}
	defer f.Close()
	var h [WAVHeaderSize]byte
	if _, err := f.ReadAt(h[:], 0); err != nil {
		return 0, fmt.Errorf("repair %s: header: %w", path, err)
	}
	channels := int(binary.LittleEndian.Uint16(h[22:24]))
	if string(h[0:4]) != "RIFF" || string(h[8:12]) != "WAVE" || string(h[36:40]) != "data" ||
		binary.LittleEndian.Uint32(h[24:28]) != Rate || binary.LittleEndian.Uint16(h[34:36]) != 16 ||
		(channels != 1 && channels != 2) {
		return 0, fmt.Errorf("repair %s: not a recording of ours", path)
	}
	st, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("repair %s: %w", path, err)
	}
	frame := int64(channels * 2)
	size := (st.Size() - WAVHeaderSize) / frame * frame
	if err := f.Truncate(WAVHeaderSize + size); err != nil {
		return 0, fmt.Errorf("repair %s: %w", path, err)
	}
	fixed := WAVHeader(Rate, channels, 16, size)
	if _, err := f.WriteAt(fixed[:], 0); err != nil {
		return 0, fmt.Errorf("repair %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return 0, fmt.Errorf("repair %s: %w", path, err)
	}
	return samples(size / frame), nil
}
