package media

import (
	"strings"
	"time"

	"github.com/zaf/g711"
)

// Call audio: G.711 at 8 kHz, sent in 20 ms packets.
const (
	Rate         = 8000                  // samples a second
	Frame        = 20 * time.Millisecond // one RTP packet's worth
	FrameSamples = Rate / 50             // samples (and G.711 bytes) in a Frame
)

// Clip is audio ready to play on any call: 8 kHz mono 16-bit PCM, with its
// G.711 encodings made once. One Clip is shared by every call that plays it
// and must not be changed after NewClip.
type Clip struct {
	pcm  []int16
	ulaw []byte
	alaw []byte
}

// NewClip makes a Clip of pcm (8 kHz mono), which it keeps: the caller must
// not change pcm afterwards.
func NewClip(pcm []int16) *Clip {
	c := &Clip{pcm: pcm, ulaw: make([]byte, len(pcm)), alaw: make([]byte, len(pcm))}
	for i, v := range pcm {
		c.ulaw[i] = g711.EncodeUlawFrame(v)
		c.alaw[i] = g711.EncodeAlawFrame(v)
	}
	return c
}

// PCM returns the clip's samples; they must not be changed.
func (c *Clip) PCM() []int16 { return c.pcm }

// Len returns the number of samples.
func (c *Clip) Len() int { return len(c.pcm) }

// Duration returns how long the clip plays.
func (c *Clip) Duration() time.Duration {
	return time.Duration(len(c.pcm)) * time.Second / Rate
}

// Encoded returns the clip in codec (PCMU or PCMA, any case), or nil for
// any other codec. The bytes are shared and must not be changed.
func (c *Clip) Encoded(codec string) []byte {
	switch {
	case strings.EqualFold(codec, PCMU):
		return c.ulaw
	case strings.EqualFold(codec, PCMA):
		return c.alaw
	}
	return nil
}
