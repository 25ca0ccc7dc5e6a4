package media

import (
	"bytes"
	"errors"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden SDP answers in testdata")

func readSDP(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".sdp"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var ours = Local{Addr: netip.MustParseAddr("198.51.100.7"), Port: 10002, SessionID: 42, Version: 1}

func TestParseAndAnswer(t *testing.T) {
	tests := []struct {
		name      string
		remote    string // where the offerer wants audio
		hold      bool
		codec     string // chosen by Answer
		pt        uint8
		eventPT   int // -1: none in the answer
		answerDir Direction
		parseErr  error
		answerErr error
	}{
		{name: "baresip", remote: "192.168.1.50:10462", codec: PCMU, pt: 0, eventPT: 101, answerDir: SendRecv},
		{name: "sipp", remote: "127.0.0.1:6000", codec: PCMU, pt: 0, eventPT: -1, answerDir: SendRecv},
		{name: "yealink", remote: "10.0.0.23:11788", codec: PCMA, pt: 8, eventPT: 101, answerDir: SendRecv},
		{name: "polycom", remote: "172.16.4.20:2222", codec: PCMU, pt: 0, eventPT: 127, answerDir: SendRecv},
		{name: "hold-2543", remote: "0.0.0.0:4000", hold: true, codec: PCMA, pt: 8, eventPT: 101, answerDir: RecvOnly},
		{name: "inactive", remote: "192.168.1.50:4000", hold: true, codec: PCMU, pt: 0, eventPT: 101, answerDir: Inactive},
		// session-level a=sendonly and a media-level c= that overrides the session's
		{name: "sendonly", remote: "192.168.1.50:4000", hold: true, codec: PCMU, pt: 0, eventPT: -1, answerDir: RecvOnly},
		{name: "audio-video", remote: "192.168.1.77:7078", codec: PCMA, pt: 8, eventPT: 101, answerDir: SendOnly},
		{name: "ipv6", remote: "[2001:db8::5]:4000", codec: PCMA, pt: 8, eventPT: -1, answerDir: SendRecv},
		{name: "video-only", parseErr: ErrNoAudio},
		{name: "srtp", parseErr: ErrNoAudio},
		{name: "g729-only", remote: "192.168.1.50:4000", answerErr: ErrNoCodec},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			offer, err := ParseSDP(readSDP(t, tt.name))
			if !errors.Is(err, tt.parseErr) {
				t.Fatalf("ParseSDP error = %v, want %v", err, tt.parseErr)
			}
			if err != nil {
				return
			}
			if got := offer.Remote().String(); got != tt.remote {
				t.Errorf("Remote = %s, want %s", got, tt.remote)
			}
			if offer.Hold() != tt.hold {
				t.Errorf("Hold = %v, want %v", offer.Hold(), tt.hold)
			}
			answer, err := Answer(offer, ours)
			if !errors.Is(err, tt.answerErr) {
				t.Fatalf("Answer error = %v, want %v", err, tt.answerErr)
			}
			if err != nil {
				return
			}
			body := answer.Marshal()
			golden := filepath.Join("testdata", tt.name+".answer")
			if *update {
				if err := os.WriteFile(golden, body, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(body, want) {
				t.Errorf("answer differs from %s:\n%s", golden, body)
			}

			// What the offerer will read back from our answer.
			back, err := ParseSDP(body)
			if err != nil {
				t.Fatalf("our answer does not parse: %v\n%s", err, body)
			}
			if back.Remote() != netip.MustParseAddrPort("198.51.100.7:10002") {
				t.Errorf("answer points at %s, not at the PBX", back.Remote())
			}
			if back.Direction != tt.answerDir {
				t.Errorf("answer direction = %s, want %s", back.Direction, tt.answerDir)
			}
			f, err := back.Format()
			if err != nil {
				t.Fatal(err)
			}
			if f.Audio.Name != tt.codec || f.Audio.PT != tt.pt {
				t.Errorf("answer codec = %s/%d, want %s/%d", f.Audio.Name, f.Audio.PT, tt.codec, tt.pt)
			}
			if tt.eventPT < 0 && f.HasEvent() {
				t.Errorf("answer has telephone-event %d that was not offered", f.Event.PT)
			}
			if tt.eventPT >= 0 && (!f.HasEvent() || int(f.Event.PT) != tt.eventPT) {
				t.Errorf("answer telephone-event = %+v, want PT %d", f.Event, tt.eventPT)
			}
			if n := strings.Count(string(body), "m="); n != len(offer.streams) {
				t.Errorf("answer has %d m= lines, offer %d (RFC 3264 wants the same)", n, len(offer.streams))
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for name, body := range map[string]string{
		"empty":       "",
		"not sdp":     "hello world\r\n",
		"no v=":       "m=audio 4000 RTP/AVP 0\r\nc=IN IP4 1.2.3.4\r\n",
		"bad port":    "v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 70000 RTP/AVP 0\r\n",
		"bad pt":      "v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 4000 RTP/AVP 300\r\n",
		"host name":   "v=0\r\nc=IN IP4 pbx.example.com\r\nm=audio 4000 RTP/AVP 0\r\n",
		"no c=":       "v=0\r\nm=audio 4000 RTP/AVP 0\r\n",
		"port 0":      "v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 0 RTP/AVP 0\r\n",
		"control chr": "v=0\r\nc=IN IP4 1.2.3.4\r\nm=video 4000 RTP/AVP \x01\r\nm=audio 4000 RTP/AVP 0\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			if s, err := ParseSDP([]byte(body)); err == nil {
				t.Errorf("ParseSDP accepted %q as %+v", body, s)
			}
		})
	}
}

// The B2BUA's late-answer path: forward the caller's offer to the callee,
// then answer the caller with the codec the callee chose, so no transcoding.
func TestRewriteThenAnswerWithCalleeCodec(t *testing.T) {
	offer, err := ParseSDP(readSDP(t, "baresip"))
	if err != nil {
		t.Fatal(err)
	}
	legB := Local{Addr: ours.Addr, Port: 10004, SessionID: 7, Version: 1}
	out, err := Rewrite(offer, legB)
	if err != nil {
		t.Fatal(err)
	}
	fwd, err := ParseSDP(out.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range fwd.Codecs {
		got = append(got, c.Name)
	}
	if want := []string{PCMU, PCMA, TelephoneEvent}; !slices.Equal(got, want) {
		t.Fatalf("forwarded codecs = %v, want %v (offer order, ours only)", got, want)
	}
	if fwd.Remote() != netip.MustParseAddrPort("198.51.100.7:10004") || fwd.Codecs[2].PT != 101 {
		t.Fatalf("forwarded offer = %s", out.Marshal())
	}

	// The callee picks PCMA.
	calleeAnswer := "v=0\r\no=- 9 9 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 10.1.1.1\r\nt=0 0\r\nm=audio 5004 RTP/AVP 8 101\r\na=rtpmap:101 telephone-event/8000\r\n"
	b, err := ParseSDP([]byte(calleeAnswer))
	if err != nil {
		t.Fatal(err)
	}
	fb, err := b.Format()
	if err != nil {
		t.Fatal(err)
	}
	legA := ours
	legA.Codecs = []string{fb.Audio.Name}
	ans, err := Answer(offer, legA)
	if err != nil {
		t.Fatal(err)
	}
	fa, err := ans.Format()
	if err != nil {
		t.Fatal(err)
	}
	if fa.Audio.Name != PCMA || fa.Audio.Name != fb.Audio.Name || fa.Event.PT != 101 {
		t.Fatalf("caller answer format %+v, callee %+v", fa, fb)
	}
}

func TestOfferAndHold(t *testing.T) {
	o, err := ParseSDP(Offer(ours, SendOnly).Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if o.Direction != SendOnly || !o.Hold() || o.Ptime != 20 {
		t.Errorf("offer = %+v", o)
	}
	f, err := o.Format()
	if err != nil || f.Audio.Name != PCMU || f.Event.PT != 101 || f.Event.Fmtp != "0-16" {
		t.Errorf("offer format = %+v, %v", f, err)
	}
	if _, err := Rewrite(mustParse(t, "g729-only"), ours); !errors.Is(err, ErrNoCodec) {
		t.Errorf("Rewrite of a G.729-only offer: %v, want ErrNoCodec", err)
	}
}

func mustParse(t *testing.T, name string) *SDP {
	t.Helper()
	s, err := ParseSDP(readSDP(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func FuzzParseSDP(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.sdp"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		s, err := ParseSDP(body)
		if err != nil {
			return
		}
		// What we write must read back as the same audio stream.
		back, err := ParseSDP(s.Marshal())
		if err != nil {
			t.Fatalf("re-parse: %v\n%q", err, s.Marshal())
		}
		if back.Remote() != s.Remote() || back.Direction != s.Direction || back.Ptime != s.Ptime ||
			!slices.Equal(back.Codecs, s.Codecs) {
			t.Fatalf("round trip changed the stream:\n%+v\n%+v", s, back)
		}
		for _, build := range []func(*SDP, Local) (*SDP, error){Answer, Rewrite} {
			out, err := build(s, ours)
			if err != nil {
				continue
			}
			if _, err := ParseSDP(out.Marshal()); err != nil {
				t.Fatalf("our SDP does not parse: %v\n%q", err, out.Marshal())
			}
		}
	})
}
