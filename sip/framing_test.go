package sip

import (
	"errors"
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"
)

const (
	framedOptions = "OPTIONS sip:1001@pbx SIP/2.0\r\nVia: SIP/2.0/TCP 10.0.0.1:5060;branch=z9hG4bK1\r\n" +
		"Call-ID: a\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
	framedInvite = "INVITE sip:1001@pbx SIP/2.0\r\nVia: SIP/2.0/TCP 10.0.0.1:5060;branch=z9hG4bK2\r\n" +
		"Call-ID: b\r\nCSeq: 1 INVITE\r\nContent-Type: application/sdp\r\nl : 10\r\n\r\nv=0\r\no=x\r\n"
)

func TestFramerFollowsMessages(t *testing.T) {
	for _, tc := range []struct {
		name      string
		chunks    []string
		done      []int // messages completed by each chunk
		inMessage bool  // after the last chunk
	}{
		{"whole message", []string{framedOptions}, []int{1}, false},
		{"keepalives only", []string{"\r\n\r\n", "\r", "\n"}, []int{0, 0, 0}, false},
		{"a lone LF begins a message", []string{"\n"}, []int{0}, true},
		{"keepalive then message", []string{"\r\n\r\n" + framedOptions}, []int{1}, false},
		{"half a message", []string{framedOptions[:40]}, []int{0}, true},
		{"split in the blank line", []string{framedOptions[:len(framedOptions)-1], "\n"}, []int{0, 1}, false},
		{"compact content length with body", []string{framedInvite}, []int{1}, false},
		{"body still to come", []string{framedInvite[:len(framedInvite)-3]}, []int{0}, true},
		{"body byte by byte", append([]string{framedInvite[:len(framedInvite)-10]}, strings.Split(framedInvite[len(framedInvite)-10:], "")...),
			[]int{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, false},
		{"two messages in one read", []string{framedOptions + framedInvite}, []int{2}, false},
		{"a message and the start of the next", []string{framedOptions + "OPT"}, []int{1}, true},
		{"a bare LF ends no line", []string{"OPTIONS sip:a SIP/2.0\nContent-Length: 0\n\n"}, []int{0}, true},
		{"a folded Content-Length", []string{"OPTIONS sip:a SIP/2.0\r\nContent-Length:\r\n 2\r\n\r\nhi"}, []int{1}, false},
		{"case and spaces in the name", []string{"OPTIONS sip:a SIP/2.0\r\ncontent-LENGTH \t:  3 \r\n\r\nabc"}, []int{1}, false},
		{"the last Content-Length wins", []string{"OPTIONS sip:a SIP/2.0\r\nContent-Length: 50\r\nContent-Length: 1\r\n\r\nx"}, []int{1}, false},
		{"no Content-Length means no body", []string{"OPTIONS sip:a SIP/2.0\r\nCall-ID: x\r\n\r\n"}, []int{1}, false},
		{"look-alike headers", []string{"OPTIONS sip:a SIP/2.0\r\nContent-Lengthy: 5\r\nLx: 5\r\nX-Content-Length: 5\r\n\r\n"}, []int{1}, false},
		{"start line is not a header", []string{"l: 5 SIP/2.0\r\n\r\n"}, []int{1}, false},
		{"headers that never end", []string{"OPTIONS sip:a SIP/2.0\r\n", strings.Repeat("X-A: b\r\n", 100)}, []int{0, 0}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var f framer
			for i, c := range tc.chunks {
				if got := f.feed([]byte(c)); got != tc.done[i] {
					t.Fatalf("chunk %d (%q): %d messages done, want %d", i, c, got, tc.done[i])
				}
			}
			if f.inMessage() != tc.inMessage {
				t.Fatalf("in a message: %v, want %v", f.inMessage(), tc.inMessage)
			}
		})
	}
}

func TestFramerBeganMarksANewMessage(t *testing.T) {
	var f framer
	f.feed([]byte(framedOptions[:20]))
	if !f.began {
		t.Fatal("the first bytes of a message did not mark it begun")
	}
	f.feed([]byte(framedOptions[20:40]))
	if f.began {
		t.Fatal("more of the same message marked a new one begun")
	}
	f.feed([]byte(framedOptions[40:] + framedInvite[:10]))
	if !f.began {
		t.Fatal("the next message's first bytes did not mark it begun")
	}
	f.feed([]byte(framedInvite[10:]))
	if f.began || f.inMessage() {
		t.Fatalf("after the whole message: began %v, in a message %v", f.began, f.inMessage())
	}
}

// FuzzFramer checks the framer against sipgo's stream parser, however the
// stream is cut into reads: where sipgo parses every byte into messages, the
// framer counts as many and is between messages; where sipgo waits for more,
// the framer has completed no fewer messages than sipgo. (The framer may
// think malformed input complete where sipgo waits: that only lets such a
// connection wait for the idle timeout, as one valid message would.)
func FuzzFramer(f *testing.F) {
	f.Add([]byte(framedOptions+framedInvite), uint8(7))
	f.Add([]byte("\r\n\r\n"+framedInvite+"\r\n"+framedOptions), uint8(1))
	f.Add([]byte(framedInvite[:50]), uint8(3))
	parser := sip.NewParser()
	f.Fuzz(func(t *testing.T, data []byte, cut uint8) {
		stream := parser.NewSIPStream()
		want := 0
		err := stream.ParseSIPStream(data, func(sip.Message) { want++ })
		partial := errors.Is(err, sip.ErrParseSipPartial)
		if err != nil && !partial {
			return // sipgo closes the connection: the framer's count no longer matters
		}
		var fr framer
		got := 0
		step := int(cut)%16 + 1
		for i := 0; i < len(data); i += step {
			got += fr.feed(data[i:min(i+step, len(data))])
		}
		if !partial && (got != want || !fr.idle()) {
			t.Fatalf("sipgo parsed %d whole messages; the framer counted %d, between messages %v, in %q", want, got, fr.idle(), data)
		}
		if partial && got < want {
			t.Fatalf("sipgo parsed %d messages; the framer counted only %d, in %q", want, got, data)
		}
	})
}
