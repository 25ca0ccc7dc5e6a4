package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

// wavFile builds a WAV file for a test.
type wavFile struct {
	format     uint16 // 0: PCM
	extensible bool   // WAVE_FORMAT_EXTENSIBLE carrying format as its subformat
	rate       int
	channels   int
	bits       int
	data       []byte
	dataSize   uint32   // 0: len(data)
	before     [][]byte // whole chunks before fmt
	between    [][]byte // whole chunks between fmt and data
	after      [][]byte // whole chunks after data
}

func (f wavFile) bytes() []byte {
	le := binary.LittleEndian
	format := f.format
	if format == 0 {
		format = wavCodePCM
	}
	var fmtBody []byte
	block := f.channels * f.bits / 8
	head := func(code uint16) []byte {
		b := make([]byte, 16)
		le.PutUint16(b[0:], code)
		le.PutUint16(b[2:], uint16(f.channels))
		le.PutUint32(b[4:], uint32(f.rate))
		le.PutUint32(b[8:], uint32(f.rate*block))
		le.PutUint16(b[12:], uint16(block))
		le.PutUint16(b[14:], uint16(f.bits))
		return b
	}
	if f.extensible {
		fmtBody = head(wavCodeExtensible)
		ext := make([]byte, 24)
		le.PutUint16(ext[0:], 22)
		le.PutUint16(ext[2:], uint16(f.bits))
		le.PutUint16(ext[8:], format)
		copy(ext[10:], wavSubformatTail[:])
		fmtBody = append(fmtBody, ext...)
	} else {
		fmtBody = head(format)
	}
	var body bytes.Buffer
	body.WriteString("WAVE")
	for _, c := range f.before {
		body.Write(c)
	}
	body.Write(wavChunk("fmt ", fmtBody))
	for _, c := range f.between {
		body.Write(c)
	}
	size := f.dataSize
	if size == 0 {
		size = uint32(len(f.data))
	}
	body.WriteString("data")
	binary.Write(&body, le, size)
	body.Write(f.data)
	if len(f.data)%2 == 1 && len(f.after) > 0 {
		body.WriteByte(0)
	}
	for _, c := range f.after {
		body.Write(c)
	}
	out := []byte("RIFF")
	out = le.AppendUint32(out, uint32(body.Len()))
	return append(out, body.Bytes()...)
}

// wavChunk makes a chunk with its pad byte.
func wavChunk(id string, body []byte) []byte {
	b := append([]byte(id), binary.LittleEndian.AppendUint32(nil, uint32(len(body)))...)
	b = append(b, body...)
	if len(body)%2 == 1 {
		b = append(b, 0)
	}
	return b
}

// wavTone returns seconds of a sine at hz, sampled at rate, of amplitude amp,
// as 16-bit little-endian samples over channels (the same on each).
func wavTone(rate, channels int, hz, amp, seconds float64) []byte {
	n := int(float64(rate) * seconds)
	b := make([]byte, 0, n*channels*2)
	for i := range n {
		v := int16(math.Round(amp * math.Sin(2*math.Pi*hz*float64(i)/float64(rate))))
		for range channels {
			b = binary.LittleEndian.AppendUint16(b, uint16(v))
		}
	}
	return b
}

func wavDecode(t *testing.T, b []byte) (*Clip, WAVInfo) {
	t.Helper()
	c, info, err := DecodeWAV(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("DecodeWAV: %v", err)
	}
	return c, info
}

// wavLevel returns the RMS of pcm, skipping a margin at each end where the
// filter runs off the signal.
func wavLevel(pcm []int16) float64 {
	margin := len(pcm) / 10
	pcm = pcm[margin : len(pcm)-margin]
	var sum float64
	for _, v := range pcm {
		sum += float64(v) * float64(v)
	}
	return math.Sqrt(sum / float64(len(pcm)))
}

// wavFrequency estimates the frequency of a tone in 8 kHz pcm from its zero
// crossings.
func wavFrequency(pcm []int16) float64 {
	crossings := 0
	for i := 1; i < len(pcm); i++ {
		if (pcm[i-1] < 0) != (pcm[i] < 0) {
			crossings++
		}
	}
	return float64(crossings) / 2 / (float64(len(pcm)) / Rate)
}

func TestWAVRoundTrip(t *testing.T) {
	pcm := make([]int16, 8000)
	for i := range pcm {
		pcm[i] = int16(i*37%65536 - 32768)
	}
	var buf bytes.Buffer
	if err := EncodeWAV(&buf, NewClip(pcm)); err != nil {
		t.Fatal(err)
	}
	if buf.Len() != 44+2*len(pcm) {
		t.Fatalf("encoded %d bytes, want %d", buf.Len(), 44+2*len(pcm))
	}
	c, info := wavDecode(t, buf.Bytes())
	if info != (WAVInfo{SampleRate: 8000, Channels: 1, BitDepth: 16, Duration: time.Second}) {
		t.Fatalf("info %+v", info)
	}
	if !slices.Equal(c.PCM(), pcm) {
		t.Fatal("samples changed on the way through EncodeWAV and DecodeWAV")
	}
}

func TestWAVAt8kHz(t *testing.T) {
	tests := []struct {
		name string
		file wavFile
		want []int16
	}{
		{"8-bit mono", wavFile{rate: 8000, channels: 1, bits: 8, data: []byte{128, 255, 0, 192}},
			[]int16{0, 127 << 8, -128 << 8, 64 << 8}},
		{"16-bit stereo averaged", wavFile{rate: 8000, channels: 2, bits: 16,
			data: wavLE16(1000, 3000, -32768, -32768, 32767, -32767)}, []int16{2000, -32768, 0}},
		{"8-bit stereo", wavFile{rate: 8000, channels: 2, bits: 8, data: []byte{128, 130, 0, 255}},
			[]int16{256, -128}},
		{"extensible", wavFile{rate: 8000, channels: 1, bits: 16, extensible: true, data: wavLE16(5, -5)}, []int16{5, -5}},
		{"LIST before fmt, odd chunk between, cue after", wavFile{rate: 8000, channels: 1, bits: 16, data: wavLE16(7, 8),
			before:  [][]byte{wavChunk("LIST", []byte("INFOISFT\x05\x00\x00\x00Lavf\x00"))},
			between: [][]byte{wavChunk("junk", []byte{1, 2, 3}), wavChunk("fact", []byte{2, 0, 0, 0})},
			after:   [][]byte{wavChunk("cue ", make([]byte, 4))}}, []int16{7, 8}},
		{"odd chunk without its pad byte", wavFile{rate: 8000, channels: 1, bits: 16, data: wavLE16(9),
			before: [][]byte{append([]byte("bext\x03\x00\x00\x00"), 1, 2, 3)}}, []int16{9}},
		{"streamed: data size unknown", wavFile{rate: 8000, channels: 1, bits: 16, data: wavLE16(1, 2, 3), dataSize: 0x7FFFF000},
			[]int16{1, 2, 3}},
		{"trailing half sample ignored", wavFile{rate: 8000, channels: 1, bits: 16, data: append(wavLE16(4), 0x55)},
			[]int16{4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, info := wavDecode(t, tt.file.bytes())
			if !slices.Equal(c.PCM(), tt.want) {
				t.Fatalf("samples %v, want %v", c.PCM(), tt.want)
			}
			if info.SampleRate != 8000 || info.Channels != tt.file.channels || info.BitDepth != tt.file.bits {
				t.Fatalf("info %+v", info)
			}
		})
	}
}

func wavLE16(vs ...int16) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint16(b, uint16(v))
	}
	return b
}

// A tone in the telephone band keeps its frequency and level through the
// resampler; one above 4 kHz, which naive decimation would fold back into
// the band, is removed.
func TestWAVResampling(t *testing.T) {
	const amp = 10000
	for _, rate := range []int{11025, 16000, 22050, 32000, 44100, 48000, 8001, 47999} {
		for _, channels := range []int{1, 2} {
			f := wavFile{rate: rate, channels: channels, bits: 16, data: wavTone(rate, channels, 440, amp, 1)}
			c, info := wavDecode(t, f.bytes())
			if info.SampleRate != rate || info.Channels != channels || info.BitDepth != 16 || info.Duration != time.Second {
				t.Fatalf("%d Hz: info %+v", rate, info)
			}
			if d := c.Duration(); d < 999*time.Millisecond || d > time.Second {
				t.Fatalf("%d Hz: %s of audio from 1 s", rate, d)
			}
			if got := wavFrequency(c.PCM()); math.Abs(got-440) > 2 {
				t.Errorf("%d Hz x%d: 440 Hz came out at %.1f Hz", rate, channels, got)
			}
			if got, want := wavLevel(c.PCM()), amp/math.Sqrt2; math.Abs(20*math.Log10(got/want)) > 0.5 {
				t.Errorf("%d Hz x%d: 440 Hz level %.0f, want %.0f", rate, channels, got, want)
			}
		}
		// 3 kHz is in the telephone band: it passes.
		c, _ := wavDecode(t, wavFile{rate: rate, channels: 1, bits: 16, data: wavTone(rate, 1, 3000, amp, 1)}.bytes())
		if got, want := wavLevel(c.PCM()), amp/math.Sqrt2; math.Abs(20*math.Log10(got/want)) > 1 {
			t.Errorf("%d Hz: 3 kHz level %.0f, want %.0f", rate, got, want)
		}
		// Above 4 kHz (and below the input's own Nyquist limit) it must
		// not fold back: 6 kHz at 16 kHz would land on 2 kHz.
		for _, hz := range []float64{4500, 6000, 7900} {
			if hz >= float64(rate)/2 {
				continue
			}
			c, _ := wavDecode(t, wavFile{rate: rate, channels: 2, bits: 16, data: wavTone(rate, 2, hz, amp, 1)}.bytes())
			if got := wavLevel(c.PCM()); got > amp/math.Sqrt2*0.003 { // -50 dB
				t.Errorf("%d Hz: %.0f Hz tone left at level %.1f (%.0f dB)", rate, hz, got, 20*math.Log10(got/(amp/math.Sqrt2)))
			}
		}
	}
}

func TestWAVRefusals(t *testing.T) {
	pcm16 := func(rate, channels, bits int) []byte {
		return wavFile{rate: rate, channels: channels, bits: bits, data: make([]byte, 64*channels*bits/8)}.bytes()
	}
	withFormat := func(code uint16, bits int, extensible bool) []byte {
		return wavFile{format: code, extensible: extensible, rate: 8000, channels: 1, bits: bits, data: make([]byte, 64)}.bytes()
	}
	good := pcm16(8000, 1, 16)
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "is empty"},
		{"text", []byte("hello, this is not audio\n"), "is not a WAV file"},
		{"short", []byte("RIFF"), "is not a WAV file"},
		{"mp3", []byte("ID3\x04\x00\x00\x00\x00\x00\x00"), "is an MP3 file"},
		{"ogg", []byte("OggS\x00\x02\x00\x00\x00\x00\x00\x00"), "is an Ogg file"},
		{"24-bit", pcm16(8000, 1, 24), "must be a PCM WAV file (8 to 48 kHz, mono or stereo, 8- or 16-bit): this one is 24-bit"},
		{"32-bit", pcm16(16000, 2, 32), "this one is 32-bit"},
		{"96 kHz 24-bit", pcm16(96000, 2, 24), "this one is 96 kHz, 24-bit"},
		{"4 kHz", pcm16(4000, 1, 16), "this one is 4 kHz"},
		{"surround", pcm16(48000, 6, 16), "this one is 6-channel"},
		{"float", withFormat(wavCodeFloat, 32, false), "this one is 32-bit floating point"},
		{"extensible float", withFormat(wavCodeFloat, 32, true), "this one is 32-bit floating point"},
		{"a-law", withFormat(wavCodeALaw, 8, false), "this one is A-law encoded"},
		{"u-law", withFormat(wavCodeULaw, 8, false), "this one is µ-law encoded"},
		{"adpcm", withFormat(0x0011, 4, false), "this one is ADPCM compressed"},
		{"no data chunk", good[:36], "is a damaged WAV file: it has no audio data (data chunk)"},
		{"no fmt chunk", append([]byte("RIFF\x0c\x00\x00\x00WAVEdata\x00\x00\x00\x00"), 0), "is a damaged WAV file: it has no format header"},
		{"fmt cut short", good[:28], "is a damaged WAV file: its format header is too short"},
		{"cut short", good[:len(good)-40], "is cut short: it should hold 0.0 s of audio"},
		{"no audio", wavFile{rate: 8000, channels: 1, bits: 16}.bytes(), "holds no audio"},
		{"no channels", pcm16(8000, 0, 16), "is a damaged WAV file: its header says it has no channels"},
		{"rate 0", pcm16(0, 1, 16), "its sample rate is 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, err := DecodeWAV(bytes.NewReader(tt.data))
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("got %v, %v; want a *FormatError", c, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("message %q does not say %q", err, tt.want)
			}
		})
	}
}

func TestWAVFormatErrorTellsWhatItFound(t *testing.T) {
	f := wavFile{rate: 44100, channels: 2, bits: 24, data: make([]byte, 44100*6)}
	_, _, err := DecodeWAV(bytes.NewReader(f.bytes()))
	var fe *FormatError
	if !errors.As(err, &fe) {
		t.Fatal(err)
	}
	if fe.Info != (WAVInfo{SampleRate: 44100, Channels: 2, BitDepth: 24, Duration: time.Second}) || len(fe.Found) != 1 {
		t.Fatalf("%+v", fe)
	}
}

func TestWAVReadsFromCurrentPosition(t *testing.T) {
	f := wavFile{rate: 8000, channels: 1, bits: 16, data: wavLE16(11, 12)}.bytes()
	r := bytes.NewReader(append([]byte("prefix"), f...))
	r.Seek(6, 0)
	c, _, err := DecodeWAV(r)
	if err != nil || !slices.Equal(c.PCM(), []int16{11, 12}) {
		t.Fatalf("%v %v", c, err)
	}
}

func FuzzDecodeWAV(f *testing.F) {
	f.Add(wavFile{rate: 8000, channels: 1, bits: 16, data: wavLE16(1, 2, 3)}.bytes())
	f.Add(wavFile{rate: 22050, channels: 2, bits: 8, data: make([]byte, 300),
		before: [][]byte{wavChunk("LIST", []byte("INFO"))}}.bytes())
	f.Add(wavFile{rate: 16000, channels: 1, bits: 16, extensible: true, data: make([]byte, 50), dataSize: 0xFFFFFFFF}.bytes())
	f.Add(wavFile{rate: 44100, channels: 2, bits: 24, data: make([]byte, 12)}.bytes())
	f.Add([]byte("RIFF\xff\xff\xff\xffWAVELIST\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, info, err := DecodeWAV(bytes.NewReader(data))
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) || err.Error() == "" {
				t.Fatalf("error %v is not a *FormatError with a message", err)
			}
			return
		}
		if c == nil || c.Len() == 0 || info.SampleRate < minWAVRate || info.SampleRate > maxWAVRate {
			t.Fatalf("accepted %+v with clip %v", info, c)
		}
	})
}

func BenchmarkDecodeWAV(b *testing.B) {
	for _, rate := range []int{16000, 22050, 48000} {
		data := wavFile{rate: rate, channels: 1, bits: 16, data: wavTone(rate, 1, 440, 8000, 10)}.bytes()
		b.Run(RateName(rate), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, _, err := DecodeWAV(bytes.NewReader(data)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
