package media

import (
	"bytes"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Direction is an SDP media direction attribute (RFC 3264 section 5.1).
type Direction uint8

// Directions, as seen from the side that wrote the SDP.
const (
	SendRecv Direction = iota
	SendOnly
	RecvOnly
	Inactive
)

// String returns the attribute name, such as "sendrecv".
func (d Direction) String() string {
	switch d {
	case SendOnly:
		return "sendonly"
	case RecvOnly:
		return "recvonly"
	case Inactive:
		return "inactive"
	}
	return "sendrecv"
}

// Reverse returns the direction an answer takes for an offer in direction d:
// sendonly is answered recvonly and the other way round.
func (d Direction) Reverse() Direction {
	switch d {
	case SendOnly:
		return RecvOnly
	case RecvOnly:
		return SendOnly
	}
	return d
}

func parseDirection(s string) (Direction, bool) {
	switch s {
	case "sendrecv":
		return SendRecv, true
	case "sendonly":
		return SendOnly, true
	case "recvonly":
		return RecvOnly, true
	case "inactive":
		return Inactive, true
	}
	return SendRecv, false
}

// Codec names as they appear in rtpmap.
const (
	PCMU           = "PCMU"
	PCMA           = "PCMA"
	TelephoneEvent = "telephone-event"
)

// Codec is one payload format of an audio stream.
type Codec struct {
	PT   uint8  // payload type number
	Name string // encoding name, e.g. "PCMU"; empty for an unknown dynamic type
	Rate int    // clock rate in Hz
	Fmtp string // format parameters, e.g. "0-16" for telephone-event
}

// static payload types of RFC 3551 an offer may use without an rtpmap.
func staticCodec(pt uint8) Codec {
	switch pt {
	case 0:
		return Codec{PT: 0, Name: PCMU, Rate: 8000}
	case 3:
		return Codec{PT: 3, Name: "GSM", Rate: 8000}
	case 8:
		return Codec{PT: 8, Name: PCMA, Rate: 8000}
	case 9:
		return Codec{PT: 9, Name: "G722", Rate: 8000}
	case 13:
		return Codec{PT: 13, Name: "CN", Rate: 8000}
	case 18:
		return Codec{PT: 18, Name: "G729", Rate: 8000}
	}
	return Codec{PT: pt}
}

func (c Codec) is(name string) bool { return strings.EqualFold(c.Name, name) && c.Rate == 8000 }

// SDP is the part of a session description the PBX uses: one audio stream.
// Other streams (video, a second audio) are remembered only so an answer can
// reject them in place, as RFC 3264 section 6 requires.
type SDP struct {
	SessionID uint64 // o= sess-id
	Version   uint64 // o= sess-version
	// Addr is the audio connection address: the media-level c= line if there
	// is one, else the session-level one. 0.0.0.0 means hold (RFC 2543).
	Addr      netip.Addr
	Port      int    // audio m= port
	Proto     string // audio transport, "RTP/AVP" or "RTP/AVPF"
	Codecs    []Codec
	Direction Direction
	Ptime     int // a=ptime in ms, 0 when absent

	streams []stream // every m= line, in order
	audio   int      // index of the audio stream in streams
}

// stream is an m= line kept verbatim enough to reject it in an answer.
type stream struct {
	media, proto, formats string
}

// Hold reports whether the SDP puts the stream on hold: a=sendonly or
// a=inactive (RFC 3264 section 8.4) or the RFC 2543 connection address 0.0.0.0.
func (s *SDP) Hold() bool {
	return s.Direction == SendOnly || s.Direction == Inactive || s.Addr.IsUnspecified()
}

// Remote returns where the SDP's author wants to receive audio.
func (s *SDP) Remote() netip.AddrPort { return netip.AddrPortFrom(s.Addr, uint16(s.Port)) }

// effectiveDirection folds RFC 2543 hold into the direction attribute: an
// author at 0.0.0.0 receives nothing.
func (s *SDP) effectiveDirection() Direction {
	if !s.Addr.IsUnspecified() {
		return s.Direction
	}
	switch s.Direction {
	case SendRecv:
		return SendOnly
	case RecvOnly:
		return Inactive
	}
	return s.Direction
}

// Format is what one leg agreed on: the audio codec and, if negotiated, the
// RFC 4733 telephone-event payload format.
type Format struct {
	Audio Codec
	Event Codec // Name is empty when telephone-event was not negotiated
}

// HasEvent reports whether telephone-event was negotiated.
func (f Format) HasEvent() bool { return f.Event.Name != "" }

// Format returns the first codec of an answer (or offer) that is in accept
// (PCMU and PCMA when accept is empty) and its telephone-event format, if any.
func (s *SDP) Format(accept ...string) (Format, error) {
	var f Format
	audio, ok := s.pick(accept)
	if !ok {
		return f, ErrNoCodec
	}
	f.Audio = audio
	for _, c := range s.Codecs {
		if c.is(TelephoneEvent) {
			f.Event = c
			break
		}
	}
	return f, nil
}

func (s *SDP) pick(accept []string) (Codec, bool) {
	if len(accept) == 0 {
		accept = []string{PCMU, PCMA}
	}
	for _, c := range s.Codecs {
		for _, name := range accept {
			if c.is(name) {
				return c, true
			}
		}
	}
	return Codec{}, false
}

// ParseSDP reads the audio stream of an SDP body. It takes the first audio
// m= line with a non-zero port and an RTP/AVP or RTP/AVPF transport, and
// returns ErrNoAudio when there is none.
func ParseSDP(body []byte) (*SDP, error) {
	s := &SDP{audio: -1}
	var (
		sessAddr  netip.Addr
		sessDir   = SendRecv
		mediaAddr netip.Addr
		mediaDir  Direction
		hasDir    bool
		inAudio   bool // inside the chosen audio m= section
		seenV     bool
		rtpmap    = map[uint8]Codec{}
		fmtp      = map[uint8]string{}
	)
	for len(body) > 0 {
		var line []byte
		line, body, _ = bytes.Cut(body, []byte("\n"))
		line = bytes.TrimRight(line, "\r \t")
		if len(line) < 2 || line[1] != '=' {
			continue // RFC 4566 parsers ignore what they do not understand
		}
		key, val := line[0], string(line[2:])
		if key == 'v' {
			seenV = true
			continue
		}
		if key == 'm' {
			inAudio = false
			st, port, ok := parseMedia(val)
			if !ok {
				return nil, fmt.Errorf("%w: m=%s", ErrBadSDP, val)
			}
			s.streams = append(s.streams, st)
			if s.audio < 0 && st.media == "audio" && port != 0 && (st.proto == "RTP/AVP" || st.proto == "RTP/AVPF") {
				s.audio = len(s.streams) - 1
				inAudio = true
				s.Port = port
				s.Proto = st.proto
				for f := range strings.FieldsSeq(st.formats) {
					pt, err := strconv.ParseUint(f, 10, 7)
					if err != nil {
						return nil, fmt.Errorf("%w: payload type %q", ErrBadSDP, f)
					}
					s.Codecs = append(s.Codecs, staticCodec(uint8(pt)))
				}
			}
			continue
		}
		if len(s.streams) > 0 && !inAudio {
			continue // a line of a stream we do not use
		}
		session := len(s.streams) == 0
		switch key {
		case 'o':
			if f := strings.Fields(val); len(f) >= 3 {
				s.SessionID, _ = strconv.ParseUint(f[1], 10, 64)
				s.Version, _ = strconv.ParseUint(f[2], 10, 64)
			}
		case 'c':
			addr, err := parseConnection(val)
			if err != nil {
				return nil, err
			}
			if session {
				sessAddr = addr
			} else {
				mediaAddr = addr
			}
		case 'a':
			name, value, _ := strings.Cut(val, ":")
			if d, ok := parseDirection(name); ok {
				if session {
					sessDir = d
				} else {
					mediaDir, hasDir = d, true
				}
				continue
			}
			if session {
				continue
			}
			switch name {
			case "rtpmap":
				if c, ok := parseRtpmap(value); ok {
					rtpmap[c.PT] = c
				}
			case "fmtp":
				ptS, params, _ := strings.Cut(value, " ")
				if pt, err := strconv.ParseUint(ptS, 10, 7); err == nil {
					fmtp[uint8(pt)] = strings.TrimSpace(params)
				}
			case "ptime":
				if p, err := strconv.Atoi(strings.TrimSpace(value)); err == nil && p > 0 && p <= 1000 {
					s.Ptime = p
				}
			}
		}
	}
	if !seenV {
		return nil, fmt.Errorf("%w: no v= line", ErrBadSDP)
	}
	if s.audio < 0 {
		return nil, ErrNoAudio
	}
	for i, c := range s.Codecs {
		if m, ok := rtpmap[c.PT]; ok {
			c = m
		}
		c.Fmtp = fmtp[c.PT]
		s.Codecs[i] = c
	}
	s.Addr = sessAddr
	if mediaAddr.IsValid() {
		s.Addr = mediaAddr
	}
	if !s.Addr.IsValid() {
		return nil, fmt.Errorf("%w: no connection address for audio", ErrBadSDP)
	}
	s.Direction = sessDir
	if hasDir {
		s.Direction = mediaDir
	}
	return s, nil
}

// parseMedia reads "audio 49170[/2] RTP/AVP 0 8 101".
func parseMedia(val string) (stream, int, bool) {
	media, rest, ok1 := strings.Cut(val, " ")
	portS, rest, ok2 := strings.Cut(rest, " ")
	proto, formats, _ := strings.Cut(rest, " ")
	if !ok1 || !ok2 || media == "" || proto == "" {
		return stream{}, 0, false
	}
	portS, _, _ = strings.Cut(portS, "/")
	port, err := strconv.ParseUint(portS, 10, 16)
	if err != nil || !isToken(media) || !isToken(proto) {
		return stream{}, 0, false
	}
	f := strings.Fields(formats)
	for _, t := range f {
		if !isToken(t) {
			return stream{}, 0, false
		}
	}
	// Rebuilt from tokens: an answer echoes rejected m= lines, and must not
	// echo a peer's control characters.
	return stream{media: media, proto: proto, formats: strings.Join(f, " ")}, int(port), true
}

// isToken reports whether s is printable ASCII without spaces.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// parseConnection reads "IN IP4 192.0.2.1[/ttl]".
func parseConnection(val string) (netip.Addr, error) {
	f := strings.Fields(val)
	if len(f) != 3 || f[0] != "IN" || (f[1] != "IP4" && f[1] != "IP6") {
		return netip.Addr{}, fmt.Errorf("%w: c=%s", ErrBadSDP, val)
	}
	host, _, _ := strings.Cut(f[2], "/")
	addr, err := netip.ParseAddr(host)
	if err != nil || addr.Zone() != "" {
		// RFC 4566 allows a host name here; phones do not send one and we
		// will not resolve names a peer hands us.
		return netip.Addr{}, fmt.Errorf("%w: c=%s", ErrBadSDP, val)
	}
	return addr.Unmap(), nil
}

// parseRtpmap reads "101 telephone-event/8000[/1]".
func parseRtpmap(val string) (Codec, bool) {
	ptS, enc, ok := strings.Cut(strings.TrimSpace(val), " ")
	pt, err := strconv.ParseUint(ptS, 10, 7)
	if !ok || err != nil {
		return Codec{}, false
	}
	name, rest, ok := strings.Cut(strings.TrimSpace(enc), "/")
	rateS, _, _ := strings.Cut(rest, "/")
	rate, err := strconv.Atoi(rateS)
	if !ok || name == "" || err != nil || rate <= 0 {
		return Codec{}, false
	}
	return Codec{PT: uint8(pt), Name: name, Rate: rate}, true
}

// Local is our side of one leg: what we put in the SDP we send on it.
type Local struct {
	Addr      netip.Addr // address advertised to the peer (the PBX's public IP)
	Port      int        // RTP port of the leg's Session
	SessionID uint64     // o= sess-id, fixed for the leg's dialog
	Version   uint64     // o= sess-version, bumped for each new SDP in the dialog
	// Codecs are the audio codecs we accept, by name. Empty means PCMU and
	// PCMA. A B2BUA answering the first leg after the second one answered
	// passes the second leg's codec here so that the relay needs no transcoding.
	Codecs []string
}

// Answer answers an offer (RFC 3264 section 6): the first offered codec we
// accept, telephone-event with the offer's payload type if offered, the
// offer's direction reversed, and our address and port. Other streams are
// rejected with port 0. It returns ErrNoCodec when nothing offered is acceptable.
func Answer(offer *SDP, local Local) (*SDP, error) {
	audio, ok := offer.pick(local.Codecs)
	if !ok {
		return nil, ErrNoCodec
	}
	a := local.sdp(offer.effectiveDirection().Reverse())
	a.Proto = offer.Proto
	audio.Fmtp = "" // G.711 has no parameters
	a.Codecs = append(a.Codecs, audio)
	for _, c := range offer.Codecs {
		if c.is(TelephoneEvent) {
			c.Fmtp = eventFmtp(c.Fmtp)
			a.Codecs = append(a.Codecs, c)
			break
		}
	}
	a.streams = append([]stream(nil), offer.streams...)
	a.audio = offer.audio
	return a, nil
}

// Offer builds a fresh offer: PCMU and PCMA (or local.Codecs of those),
// telephone-event on payload type 101, in direction dir.
func Offer(local Local, dir Direction) *SDP {
	o := local.sdp(dir)
	names := local.Codecs
	if len(names) == 0 {
		names = []string{PCMU, PCMA}
	}
	for _, n := range names {
		switch {
		case strings.EqualFold(n, PCMU):
			o.Codecs = append(o.Codecs, staticCodec(0))
		case strings.EqualFold(n, PCMA):
			o.Codecs = append(o.Codecs, staticCodec(8))
		}
	}
	o.Codecs = append(o.Codecs, Codec{PT: 101, Name: TelephoneEvent, Rate: 8000, Fmtp: "0-16"})
	return o
}

// Rewrite turns an offer received on one leg into the offer the PBX sends on
// the other: the same acceptable codecs with the same payload type numbers,
// so the relay can pass packets unchanged, the same direction, but our
// address and port. Only the audio stream is carried over.
func Rewrite(offer *SDP, local Local) (*SDP, error) {
	o := local.sdp(offer.effectiveDirection())
	o.Proto = offer.Proto
	accept := local.Codecs
	if len(accept) == 0 {
		accept = []string{PCMU, PCMA}
	}
	event, audio := false, 0
	for _, c := range offer.Codecs {
		if c.is(TelephoneEvent) && !event {
			c.Fmtp = eventFmtp(c.Fmtp)
			o.Codecs = append(o.Codecs, c)
			event = true
			continue
		}
		for _, n := range accept {
			if c.is(n) {
				c.Fmtp = "" // G.711 has no parameters
				o.Codecs = append(o.Codecs, c)
				audio++
				break
			}
		}
	}
	if audio == 0 {
		return nil, ErrNoCodec
	}
	return o, nil
}

// eventFmtp returns the offered list of telephone events to echo in ours, or
// the usual 0-16 when the offer gave none or something that is not a list.
func eventFmtp(f string) string {
	if f == "" {
		return "0-16"
	}
	for i := 0; i < len(f); i++ {
		if (f[i] < '0' || f[i] > '9') && f[i] != ',' && f[i] != '-' {
			return "0-16"
		}
	}
	return f
}

func (l Local) sdp(dir Direction) *SDP {
	return &SDP{
		SessionID: l.SessionID,
		Version:   l.Version,
		Addr:      l.Addr,
		Port:      l.Port,
		Proto:     "RTP/AVP",
		Direction: dir,
		Ptime:     20,
		audio:     -1,
	}
}

// Marshal writes the SDP as a body for an INVITE or its answer.
func (s *SDP) Marshal() []byte {
	var b bytes.Buffer
	ipv := "IP4"
	if s.Addr.Is6() {
		ipv = "IP6"
	}
	fmt.Fprintf(&b, "v=0\r\no=pbx %d %d IN %s %s\r\ns=pbx\r\nc=IN %s %s\r\nt=0 0\r\n",
		s.SessionID, s.Version, ipv, s.Addr, ipv, s.Addr)
	audio := func() {
		proto := s.Proto
		if proto == "" {
			proto = "RTP/AVP"
		}
		fmt.Fprintf(&b, "m=audio %d %s", s.Port, proto)
		for _, c := range s.Codecs {
			fmt.Fprintf(&b, " %d", c.PT)
		}
		b.WriteString("\r\n")
		for _, c := range s.Codecs {
			if c.Name != "" {
				fmt.Fprintf(&b, "a=rtpmap:%d %s/%d\r\n", c.PT, c.Name, c.Rate)
			}
			if c.Fmtp != "" {
				fmt.Fprintf(&b, "a=fmtp:%d %s\r\n", c.PT, c.Fmtp)
			}
		}
		if s.Ptime > 0 {
			fmt.Fprintf(&b, "a=ptime:%d\r\n", s.Ptime)
		}
		fmt.Fprintf(&b, "a=%s\r\n", s.Direction)
	}
	if s.audio < 0 || s.audio >= len(s.streams) {
		audio()
		return b.Bytes()
	}
	for i, st := range s.streams {
		if i == s.audio {
			audio()
			continue
		}
		formats := st.formats
		if formats == "" {
			formats = "0"
		}
		fmt.Fprintf(&b, "m=%s 0 %s %s\r\n", st.media, st.proto, formats)
	}
	return b.Bytes()
}
