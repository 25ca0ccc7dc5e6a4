package media

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// The chunks are parsed here rather than with go-audio/wav: v1.1.0 ignores
// WAVE_FORMAT_EXTENSIBLE, skips the error of a short chunk header, and
// allocates whatever size a LIST chunk claims before reading it, so a
// 100-byte upload could ask for 4 GiB.

// WAVInfo describes a WAV file as it was before DecodeWAV converted it.
type WAVInfo struct {
	SampleRate int // samples a second, per channel
	Channels   int
	BitDepth   int // bits per sample
	Duration   time.Duration
}

// FormatError is returned for data DecodeWAV cannot play. Its message is
// written for an administrator and reads as the end of a sentence about the
// file: "must be a PCM WAV file (...): this one is 24-bit", "is not a WAV
// file".
type FormatError struct {
	// Found lists what a readable WAV file holds that is not accepted, such
	// as "44.1 kHz" or "24-bit" (empty when the data is not a readable WAV
	// file at all).
	Found []string
	// Reason says why data that is not a readable WAV file was refused
	// (set when Found is empty).
	Reason string
	// Info is what was read of the file's format, if anything.
	Info WAVInfo
}

func (e *FormatError) Error() string {
	if len(e.Found) == 0 {
		return e.Reason
	}
	return "must be " + wavFormats + ": this one is " + strings.Join(e.Found, ", ")
}

// wavFormats names the files DecodeWAV accepts.
const wavFormats = "a PCM WAV file (8 to 48 kHz, mono or stereo, 8- or 16-bit)"

// The sample rates DecodeWAV converts.
const (
	minWAVRate = 8000
	maxWAVRate = 48000
)

// RateName writes a sample rate the way people say it: "8 kHz", "44.1 kHz".
func RateName(hz int) string {
	return strconv.FormatFloat(float64(hz)/1000, 'f', -1, 64) + " kHz"
}

const (
	wavCodePCM        = 0x0001
	wavCodeFloat      = 0x0003
	wavCodeALaw       = 0x0006
	wavCodeULaw       = 0x0007
	wavCodeExtensible = 0xFFFE

	// A writer streaming to a pipe cannot go back to fill in the data
	// chunk's size; it writes a placeholder at least this big (espeak-ng
	// 0x7FFFF000, ffmpeg 0xFFFFFFFF) and the data runs to the end.
	wavStreamedSize = 0x7FFF0000
)

// wavSubformatTail is the part that every WAVE_FORMAT_EXTENSIBLE subformat GUID
// derived from a plain format code shares; the code is in the first 2 bytes.
var wavSubformatTail = [14]byte{0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71}

type wavFormat struct {
	code       uint16
	channels   int
	rate       int
	bits       int
	blockAlign int
}

// DecodeWAV reads a RIFF WAVE file from r (from its current position) and
// converts it to a Clip: stereo is mixed down by averaging, and any rate
// other than 8 kHz is resampled through a low-pass filter so that nothing
// above 4 kHz folds back into the telephone band. It accepts PCM (plain or
// WAVE_FORMAT_EXTENSIBLE), 8- or 16-bit, mono or stereo, 8 to 48 kHz, with
// any other chunks (LIST, fact, cue ...) before or after the audio. Anything
// else is a *FormatError.
func DecodeWAV(r io.ReadSeeker) (*Clip, WAVInfo, error) {
	start, err := r.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, WAVInfo{}, err
	}
	end, err := r.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, WAVInfo{}, err
	}
	size := end - start
	if _, err := r.Seek(start, io.SeekStart); err != nil {
		return nil, WAVInfo{}, err
	}
	if size == 0 {
		return nil, WAVInfo{}, &FormatError{Reason: "is empty"}
	}
	var head [12]byte
	n, err := io.ReadFull(r, head[:])
	if err != nil && n == 0 {
		return nil, WAVInfo{}, err
	}
	if n < len(head) || string(head[0:4]) != "RIFF" || string(head[8:12]) != "WAVE" {
		return nil, WAVInfo{}, &FormatError{Reason: notWAV(head[:n])}
	}

	var (
		format   *wavFormat
		dataOff  int64 = -1
		dataLen  int64
		declared int64 // the data size the header claims
	)
	pos := int64(12)
	for pos+8 <= size && (format == nil || dataOff < 0) {
		var ch [8]byte
		if err := wavReadAt(r, start+pos, ch[:]); err != nil {
			return nil, WAVInfo{}, err
		}
		id, n := string(ch[0:4]), int64(binary.LittleEndian.Uint32(ch[4:8]))
		body := pos + 8
		switch id {
		case "fmt ":
			if format != nil {
				break
			}
			if n < 16 || body+16 > size {
				return nil, WAVInfo{}, damagedWAV("its format header is too short")
			}
			b := make([]byte, min(n, 40, size-body))
			if err := wavReadAt(r, start+body, b); err != nil {
				return nil, WAVInfo{}, err
			}
			f, ferr := parseWAVFormat(b)
			if ferr != nil {
				return nil, WAVInfo{}, ferr
			}
			format = &f
		case "data":
			if dataOff >= 0 {
				break
			}
			dataOff, dataLen, declared = body, n, n
			if body+n > size {
				dataLen = size - body
			}
		}
		if id == "data" && n >= wavStreamedSize {
			break // the data runs to the end: no chunk can follow
		}
		pos = wavNextChunk(r, start, size, body, n)
	}
	if format == nil {
		return nil, WAVInfo{}, damagedWAV("it has no format header (fmt chunk)")
	}
	info := WAVInfo{SampleRate: format.rate, Channels: format.channels, BitDepth: format.bits}
	if dataOff < 0 {
		return nil, info, damagedWAV("it has no audio data (data chunk)")
	}
	if found := format.unsupported(); len(found) > 0 {
		if format.blockAlign > 0 && format.rate > 0 {
			info.Duration = framesDuration(dataLen/int64(format.blockAlign), format.rate)
		}
		return nil, info, &FormatError{Found: found, Info: info}
	}
	frame := int64(format.channels * format.bits / 8)
	frames := dataLen / frame
	info.Duration = framesDuration(frames, format.rate)
	if declared < wavStreamedSize && dataLen < declared {
		return nil, info, &FormatError{Info: info, Reason: fmt.Sprintf(
			"is cut short: it should hold %s of audio but ends after %s",
			wavSeconds(framesDuration(declared/frame, format.rate)), wavSeconds(info.Duration))}
	}
	if frames == 0 {
		return nil, info, &FormatError{Info: info, Reason: "holds no audio"}
	}
	if _, err := r.Seek(start+dataOff, io.SeekStart); err != nil {
		return nil, info, err
	}
	mono, err := readWAVMono(io.LimitReader(r, frames*frame), *format, int(frames))
	if err != nil {
		return nil, info, err
	}
	pcm := resampleTo8k(mono, format.rate)
	if len(pcm) == 0 { // a frame or two at a higher rate
		return nil, info, &FormatError{Info: info, Reason: "holds no audio"}
	}
	return NewClip(pcm), info, nil
}

func wavReadAt(r io.ReadSeeker, off int64, b []byte) error {
	if _, err := r.Seek(off, io.SeekStart); err != nil {
		return err
	}
	_, err := io.ReadFull(r, b)
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		return damagedWAV("a chunk is cut short")
	}
	return err
}

// wavNextChunk returns where the chunk after the one of n bytes at body
// starts. Chunks are padded to an even size, but some writers leave the pad
// byte out; when only the unpadded position holds a plausible chunk id, that
// is the one.
func wavNextChunk(r io.ReadSeeker, start, size, body, n int64) int64 {
	next := body + n
	if n%2 == 0 {
		return next
	}
	var a [5]byte
	if next+5 > size || wavReadAt(r, start+next, a[:]) != nil {
		return next + 1
	}
	if !isRIFFChunkID(a[1:5]) && isRIFFChunkID(a[0:4]) {
		return next
	}
	return next + 1
}

func isRIFFChunkID(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c > 0x7E {
			return false
		}
	}
	return true
}

func parseWAVFormat(b []byte) (wavFormat, error) {
	le := binary.LittleEndian
	f := wavFormat{
		code:       le.Uint16(b[0:2]),
		channels:   int(le.Uint16(b[2:4])),
		rate:       int(le.Uint32(b[4:8])),
		blockAlign: int(le.Uint16(b[12:14])),
		bits:       int(le.Uint16(b[14:16])),
	}
	if f.code == wavCodeExtensible {
		if len(b) < 40 {
			return f, damagedWAV("its extensible format header is too short")
		}
		if [14]byte(b[26:40]) != wavSubformatTail {
			f.code = 0 // a vendor GUID: some codec of its own
		} else {
			f.code = le.Uint16(b[24:26])
		}
	}
	if f.channels == 0 {
		return f, damagedWAV("its header says it has no channels")
	}
	if f.rate == 0 {
		return f, damagedWAV("its header says its sample rate is 0")
	}
	return f, nil
}

// unsupported lists what f holds that DecodeWAV does not convert.
func (f wavFormat) unsupported() []string {
	var found []string
	if f.rate < minWAVRate || f.rate > maxWAVRate {
		found = append(found, RateName(f.rate))
	}
	if f.channels > 2 {
		found = append(found, fmt.Sprintf("%d-channel", f.channels))
	}
	switch f.code {
	case wavCodePCM:
		if f.bits != 8 && f.bits != 16 {
			found = append(found, fmt.Sprintf("%d-bit", f.bits))
		}
	case wavCodeFloat:
		found = append(found, fmt.Sprintf("%d-bit floating point", f.bits))
	case wavCodeALaw:
		found = append(found, "A-law encoded")
	case wavCodeULaw:
		found = append(found, "µ-law encoded")
	case 0x0002, 0x0011:
		found = append(found, "ADPCM compressed")
	case 0x0050, 0x0055:
		found = append(found, "MPEG (MP3) compressed")
	default:
		found = append(found, fmt.Sprintf("compressed (format 0x%04X)", f.code))
	}
	return found
}

func notWAV(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte("ID3")) || len(head) >= 2 && head[0] == 0xFF && head[1]&0xE0 == 0xE0:
		return "is an MP3 file, not a WAV file"
	case bytes.HasPrefix(head, []byte("OggS")):
		return "is an Ogg file, not a WAV file"
	case bytes.HasPrefix(head, []byte("fLaC")):
		return "is a FLAC file, not a WAV file"
	case bytes.HasPrefix(head, []byte("RIFX")):
		return "is a big-endian (RIFX) WAV file; save it as an ordinary little-endian WAV file"
	case bytes.HasPrefix(head, []byte("RF64")):
		return "is an RF64 file, not an ordinary WAV file"
	}
	return "is not a WAV file"
}

func damagedWAV(why string) *FormatError {
	return &FormatError{Reason: "is a damaged WAV file: " + why}
}

func framesDuration(frames int64, rate int) time.Duration {
	return time.Duration(frames * int64(time.Second) / int64(rate))
}

func wavSeconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + " s"
}

// readWAVMono reads frames of f's PCM and mixes them to one channel, on the
// 16-bit scale.
func readWAVMono(r io.Reader, f wavFormat, frames int) ([]float32, error) {
	mono := make([]float32, frames)
	frame := f.channels * f.bits / 8
	buf := make([]byte, 4096*frame)
	for i := 0; i < frames; {
		n, err := io.ReadFull(r, buf[:min(len(buf), (frames-i)*frame)])
		for off := 0; off+frame <= n; off += frame {
			var sum int32
			for c := range f.channels {
				if f.bits == 8 {
					sum += (int32(buf[off+c]) - 128) << 8
				} else {
					sum += int32(int16(binary.LittleEndian.Uint16(buf[off+2*c:])))
				}
			}
			mono[i] = float32(sum) / float32(f.channels)
			i++
		}
		if err != nil {
			return nil, fmt.Errorf("read wav data: %w", err)
		}
	}
	return mono, nil
}

// WAVHeaderSize is the length of the header WAVHeader makes.
const WAVHeaderSize = 44

// WAVHeader returns the canonical header of a PCM WAV file holding
// dataBytes of audio: rate samples a second, channels interleaved, bits a
// sample. The audio follows it, little-endian.
func WAVHeader(rate, channels, bits int, dataBytes int64) [WAVHeaderSize]byte {
	dataBytes = min(dataBytes, math.MaxUint32-36)
	block := channels * bits / 8
	le := binary.LittleEndian
	var h [WAVHeaderSize]byte
	copy(h[0:], "RIFF")
	le.PutUint32(h[4:], uint32(36+dataBytes))
	copy(h[8:], "WAVEfmt ")
	le.PutUint32(h[16:], 16) // fmt chunk size
	le.PutUint16(h[20:], wavCodePCM)
	le.PutUint16(h[22:], uint16(channels))
	le.PutUint32(h[24:], uint32(rate))
	le.PutUint32(h[28:], uint32(rate*block)) // bytes a second
	le.PutUint16(h[32:], uint16(block))      // bytes a frame
	le.PutUint16(h[34:], uint16(bits))
	copy(h[36:], "data")
	le.PutUint32(h[40:], uint32(dataBytes))
	return h
}

// EncodeWAV writes c as a WAV file: 8 kHz, mono, 16-bit PCM.
func EncodeWAV(w io.Writer, c *Clip) error {
	pcm := c.PCM()
	bw := bufio.NewWriterSize(w, 8192)
	h := WAVHeader(Rate, 1, 16, int64(2*len(pcm)))
	if _, err := bw.Write(h[:]); err != nil {
		return err
	}
	var s [2]byte
	for _, v := range pcm {
		binary.LittleEndian.PutUint16(s[:], uint16(v))
		if _, err := bw.Write(s[:]); err != nil {
			return err
		}
	}
	return bw.Flush()
}
