package media

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/go-audio/wav"
)

// tonePackets returns n 20 ms frames of a tone at hz, G.711 μ-law.
func tonePackets(hz float64, n int) [][]byte {
	enc := Tone(hz, time.Duration(n)*Frame, 0.5).Encoded(PCMU)
	var out [][]byte
	for i := range n {
		out = append(out, enc[i*FrameSamples:(i+1)*FrameSamples])
	}
	return out
}

// readRecording reads a recording with go-audio/wav, an independent reader,
// and returns its channels' samples.
func readRecording(t *testing.T, path string, channels int) [][]int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d := wav.NewDecoder(f)
	if !d.IsValidFile() {
		t.Fatalf("%s is not a valid WAV file", path)
	}
	buf, err := d.FullPCMBuffer()
	if err != nil {
		t.Fatal(err)
	}
	if d.SampleRate != Rate || d.BitDepth != 16 || int(d.NumChans) != channels {
		t.Fatalf("%s: %d Hz %d-bit %d channels, want 8000 Hz 16-bit %d", path, d.SampleRate, d.BitDepth, d.NumChans, channels)
	}
	out := make([][]int, channels)
	for i, v := range buf.Data {
		out[i%channels] = append(out[i%channels], v)
	}
	return out
}

// power returns the strength of frequency hz in s (Goertzel).
func power(s []int, hz float64) float64 {
	w := 2 * math.Cos(2*math.Pi*hz/Rate)
	var s1, s2 float64
	for _, v := range s {
		s1, s2 = float64(v)+w*s1-s2, s1
	}
	return (s1*s1 + s2*s2 - w*s1*s2) / float64(len(s)*len(s))
}

// Each party lands on their own channel, placed by time, and the file is a
// WAV any reader takes, closed with its sizes right.
func TestRecorderPutsEachPartyOnItsChannel(t *testing.T) {
	path := filepath.Join(t.TempDir(), "2026/11/30/call.wav")
	rec, err := NewRecorder(path, 2)
	if err != nil {
		t.Fatal(err)
	}
	const frames = 150 // 3 s
	caller, agent := tonePackets(440, frames), tonePackets(1000, frames)
	start := rec.start
	for i := range frames {
		at := start.Add(time.Duration(i) * Frame)
		rec.recordAt(at, 0, ulaw, 1, uint32(i*FrameSamples), caller[i])
		// The agent starts talking a second in, with another clock.
		if i >= 50 {
			rec.recordAt(at.Add(time.Millisecond), 1, ulaw, 2, uint32(777+i*FrameSamples), agent[i])
		}
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	rec.recordAt(start.Add(4*time.Second), 0, ulaw, 1, frames*FrameSamples, caller[0]) // after Close: ignored
	if d := rec.Duration(); d < 2990*time.Millisecond || d > 3010*time.Millisecond {
		t.Errorf("Duration %v, want 3s", d)
	}
	ch := readRecording(t, path, 2)
	if n := len(ch[0]); n < frames*FrameSamples-10 || n > frames*FrameSamples+FrameSamples {
		t.Fatalf("%d samples a channel, want %d", n, frames*FrameSamples)
	}
	left, right := ch[0][Rate+800:2*Rate], ch[1][Rate+800:2*Rate]
	if power(left, 440) < 100*power(left, 1000) {
		t.Errorf("left channel: 440 Hz %.0f, 1000 Hz %.0f: not the caller's", power(left, 440), power(left, 1000))
	}
	if power(right, 1000) < 100*power(right, 440) {
		t.Errorf("right channel: 1000 Hz %.0f, 440 Hz %.0f: not the agent's", power(right, 1000), power(right, 440))
	}
	// Before the agent spoke, their channel is silence.
	for i, v := range ch[1][:Rate-FrameSamples] {
		if v != 0 {
			t.Fatalf("right channel sample %d = %d before the agent spoke", i, v)
		}
	}
}

// A packet that arrives late or out of order goes where its timestamp puts
// it, not where it arrived.
func TestRecorderPlacesByTimestamp(t *testing.T) {
	// delay[i] is how late packet i arrives after it was sent.
	record := func(delay map[int]time.Duration) []int {
		path := filepath.Join(t.TempDir(), "r.wav")
		rec, err := NewRecorder(path, 1)
		if err != nil {
			t.Fatal(err)
		}
		pkts := tonePackets(700, 20)
		type arrival struct {
			at time.Duration
			i  int
		}
		var order []arrival
		for i := range pkts {
			order = append(order, arrival{time.Duration(i)*Frame + delay[i], i})
		}
		slices.SortFunc(order, func(a, b arrival) int { return int(a.at - b.at) })
		start := rec.start
		for _, a := range order {
			rec.recordAt(start.Add(a.at), 0, ulaw, 9, uint32(a.i*FrameSamples), pkts[a.i])
		}
		rec.Close()
		return readRecording(t, path, 1)[0]
	}
	inOrder := record(nil)
	// 5 and 6 are held up in the network and overtaken by 7.
	swapped := record(map[int]time.Duration{5: 45 * time.Millisecond, 6: 30 * time.Millisecond})
	a, b := inOrder, swapped
	if len(a) != len(b) {
		t.Fatalf("%d samples in order, %d reordered", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("sample %d differs: reordered packets were not put back in place", i)
		}
	}
}

// While the call goes on the header is kept up to date, so a crash leaves a
// file that plays; voice on channel 0 is noticed.
func TestRecorderKeepsTheHeaderCurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.wav")
	rec, err := NewRecorder(path, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	if !rec.LastVoice().IsZero() {
		t.Fatal("voice before any packet")
	}
	pkts := tonePackets(500, 400) // 8 s
	start := rec.start
	for i, p := range pkts {
		rec.recordAt(start.Add(time.Duration(i)*Frame), 0, ulaw, 3, uint32(i*FrameSamples), p)
	}
	if rec.LastVoice().IsZero() {
		t.Error("a -6 dBFS tone was not heard as voice")
	}
	// The file is written behind the packets: give the writer a moment.
	var b []byte
	var data int
	for range 100 {
		if b, err = os.ReadFile(path); err != nil {
			t.Fatal(err)
		}
		if data = int(binary.LittleEndian.Uint32(b[40:])); data >= 4*Rate*2 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if data < 4*Rate*2 || data > len(b)-WAVHeaderSize || binary.LittleEndian.Uint32(b[4:]) != uint32(36+data) {
		t.Errorf("before Close the header says %d data bytes, file has %d", data, len(b)-WAVHeaderSize)
	}
	if !bytes.Equal(b[:4], []byte("RIFF")) {
		t.Error("no RIFF header")
	}
}

func TestRecorderRefusesAnExistingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.wav")
	if err := os.WriteFile(path, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := NewRecorder(path, 2); err == nil {
		t.Fatal("NewRecorder overwrote a file")
	}
	if _, err := NewRecorder(path+"3", 3); err == nil {
		t.Fatal("NewRecorder took 3 channels")
	}
}

// A Relay records each leg as it arrives: A on the left, B on the right.
func TestRelayRecordsBothLegs(t *testing.T) {
	pool := newPool(t, 32600, 32699)
	a, b := openPair(t, pool)
	pa, pb := newPhone(t), newPhone(t)
	a.SetRemote(pa.addr(), pa.addr().Addr())
	b.SetRemote(pb.addr(), pb.addr().Addr())
	a.SetFormat(pcmu)
	b.SetFormat(pcmu)
	r := NewRelay(a, b, time.Minute)
	defer r.Close()
	path := filepath.Join(t.TempDir(), "call.wav")
	rec, err := NewRecorder(path, 2)
	if err != nil {
		t.Fatal(err)
	}
	r.SetRecorder(rec)
	// At the packets' own pace: the Recorder places a stream faster than
	// the wall clock back onto it, over what it already placed.
	caller, agent := tonePackets(440, 50), tonePackets(1000, 50)
	start := time.Now()
	for i := range 50 {
		time.Sleep(time.Until(start.Add(time.Duration(i) * Frame)))
		pa.send(a, pa.packet(0, caller[i]))
		pb.send(b, pb.packet(0, agent[i]))
		pb.mustRecv()
		pa.mustRecv()
	}
	r.SetRecorder(nil)
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	ch := readRecording(t, path, 2)
	if power(ch[0], 440) < 100*power(ch[0], 1000) || power(ch[1], 1000) < 100*power(ch[1], 440) {
		t.Errorf("left 440/1000 Hz %.0f/%.0f, right %.0f/%.0f: the legs are not on their channels",
			power(ch[0], 440), power(ch[0], 1000), power(ch[1], 440), power(ch[1], 1000))
	}
}

// A recording lasts from NewRecorder to Close, even if nobody spoke.
func TestRecorderLastsAsLongAsItRan(t *testing.T) {
	path := filepath.Join(t.TempDir(), "quiet.wav")
	rec, err := NewRecorder(path, 2)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if d := rec.Duration(); d < 300*time.Millisecond || d > time.Second {
		t.Errorf("Duration %v of a recording open 300 ms", d)
	}
	ch := readRecording(t, path, 2)
	if n := len(ch[0]); n < 3*Rate/10 {
		t.Errorf("%d samples of silence, want at least %d", n, 3*Rate/10)
	}
}
