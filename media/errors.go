package media

import "errors"

var (
	// ErrBadSDP is returned for a body that is not an SDP session description.
	ErrBadSDP = errors.New("malformed sdp")
	// ErrNoAudio is returned when an SDP has no usable RTP/AVP audio stream (answer 488).
	ErrNoAudio = errors.New("sdp has no audio stream")
	// ErrNoCodec is returned when an SDP offers no audio codec we accept (answer 488).
	ErrNoCodec = errors.New("sdp has no common codec")
	// ErrNoPorts is returned when every RTP port pair of the range is taken (answer 503).
	ErrNoPorts = errors.New("no free rtp ports")
	// ErrDeadMedia is the cause a relay reports when no RTP arrived in either
	// direction for its timeout.
	ErrDeadMedia = errors.New("no rtp received")
)
