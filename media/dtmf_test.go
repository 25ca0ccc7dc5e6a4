package media

import (
	"context"
	"encoding/binary"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// pcapRTP returns the RTP packets of a classic pcap file of Ethernet frames
// carrying IPv4 UDP, as sipp's DTMF captures are.
func pcapRTP(t *testing.T, path string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (the DTMF captures come with Debian's sip-tester package)", err)
	}
	if len(b) < 24 || binary.LittleEndian.Uint32(b) != 0xa1b2c3d4 || binary.LittleEndian.Uint32(b[20:]) != 1 {
		t.Fatalf("%s: not a little-endian Ethernet pcap", path)
	}
	var pkts [][]byte
	for off := 24; off+16 <= len(b); {
		n := int(binary.LittleEndian.Uint32(b[off+8:]))
		frame := b[off+16 : off+16+n]
		off += 16 + n
		ip := frame[14:]
		udp := ip[int(ip[0]&0x0f)*4:]
		pkts = append(pkts, udp[8:])
	}
	return pkts
}

// feedRTP feeds the telephone-event packets of pkts to d and returns the
// keys it reported.
func feedRTP(d *DTMF, pkts [][]byte) string {
	var keys []rune
	for _, p := range pkts {
		if p[1]&0x7f != 101 {
			continue
		}
		if k, ok := d.Feed(binary.BigEndian.Uint32(p[4:]), p[12:]); ok {
			keys = append(keys, k)
		}
	}
	return string(keys)
}

// Every capture sipp ships is one press, carried by several packets with
// the end packet sent three times: it must give its key exactly once.
func TestDTMFCapturesGiveEachKeyOnce(t *testing.T) {
	files := map[string]string{"star": "*", "pound": "#"}
	for k := '0'; k <= '9'; k++ {
		files[string(k)] = string(k)
	}
	for name, want := range files {
		pkts := pcapRTP(t, "/usr/share/sip-tester/dtmf_2833_"+name+".pcap")
		if len(pkts) < 4 {
			t.Fatalf("%s: only %d packets", name, len(pkts))
		}
		var d DTMF
		if got := feedRTP(&d, pkts); got != want {
			t.Errorf("dtmf_2833_%s.pcap gave keys %q, want %q", name, got, want)
		}
		// The same packets again (a retransmission, a loop back) are the
		// same press.
		if got := feedRTP(&d, pkts); got != "" {
			t.Errorf("dtmf_2833_%s.pcap replayed gave %q, want nothing", name, got)
		}
	}
}

func TestDTMFSeparatesPresses(t *testing.T) {
	ev := func(event byte, end bool, dur uint16) []byte {
		p := []byte{event, 10, 0, 0}
		if end {
			p[1] |= 0x80
		}
		binary.BigEndian.PutUint16(p[2:], dur)
		return p
	}
	var d DTMF
	var got []rune
	feed := func(ts uint32, p []byte) {
		if k, ok := d.Feed(ts, p); ok {
			got = append(got, k)
		}
	}
	// "1", "1" again (a new timestamp), then "2" whose first packet was
	// lost: each counts once.
	for _, press := range []struct {
		ts    uint32
		event byte
	}{{1000, 1}, {5000, 1}, {9000, 2}} {
		for i, dur := range []uint16{160, 320, 480} {
			if press.event == 2 && i == 0 {
				continue
			}
			feed(press.ts, ev(press.event, false, dur))
		}
		for range 3 {
			feed(press.ts, ev(press.event, true, 640))
		}
	}
	feed(12000, ev(16, false, 160)) // a flash: not a key
	feed(13000, []byte{1, 2})       // too short
	if string(got) != "112" {
		t.Errorf("keys %q, want %q", string(got), "112")
	}
}

// A Listener hears a key from a phone's telephone-events and records the
// audio around it; Close may be called twice.
func TestListenerReportsKeysAndRecords(t *testing.T) {
	pool := newPool(t, 32700, 32799)
	s, err := pool.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.SetFormat(pcmu)
	ph := newPhone(t)
	s.SetRemote(ph.addr(), ph.addr().Addr())
	keys := make(chan rune, 4)
	l := NewListener(s, keys)
	defer l.Close()
	path := filepath.Join(t.TempDir(), "vm.wav")
	rec, err := NewRecorder(path, 1)
	if err != nil {
		t.Fatal(err)
	}
	l.SetRecorder(rec, 0)
	for _, p := range tonePackets(600, 10) {
		ph.send(s, ph.packet(0, p))
		time.Sleep(Frame)
	}
	for _, p := range pcapRTP(t, "/usr/share/sip-tester/dtmf_2833_7.pcap") {
		ph.send(s, p)
	}
	select {
	case k := <-keys:
		if k != '7' {
			t.Fatalf("key %q, want '7'", k)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("no key reported")
	}
	select {
	case k := <-keys:
		t.Fatalf("a second key %q from one press", k)
	case <-time.After(100 * time.Millisecond):
	}
	if l.Last().IsZero() {
		t.Error("Last is zero after packets arrived")
	}
	l.Close()
	l.Close()
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if ch := readRecording(t, path, 1); len(ch[0]) < 9*FrameSamples {
		t.Errorf("%d samples recorded of 10 frames", len(ch[0]))
	}
}

// Strict source on a leg the PBX answers itself (an IVR): a key pressed by
// another host is not heard, and prompts do not go to it; the caller's
// own key is heard and the prompt reaches the caller.
func TestListenerAndPlayerIgnoreAnotherSource(t *testing.T) {
	pool := newPool(t, 32600, 32699)
	s, caller := playerOn(t, pool, pcmu)
	sweeper := newPhoneAt(t, net.IPv4(127, 0, 0, 2))
	keys := make(chan rune, 4)
	l := NewListener(s, keys)
	defer l.Close()
	caller.send(s, caller.packet(0, voice(160)))

	press := pcapRTP(t, "/usr/share/sip-tester/dtmf_2833_7.pcap")
	for _, p := range press {
		sweeper.send(s, p)
	}
	p := NewPlayer(s, nil)
	if err := p.Play(context.Background(), rampClip(3*FrameSamples)); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		caller.mustRecv()
	}
	if pkt := sweeper.recv(100 * time.Millisecond); pkt != nil {
		t.Fatal("the prompt went to the other host")
	}
	select {
	case k := <-keys:
		t.Fatalf("key %q from another host was heard", k)
	default:
	}
	if s.Foreign() != uint64(len(press)) {
		t.Errorf("Foreign = %d, want %d", s.Foreign(), len(press))
	}

	for _, p := range press {
		caller.send(s, p)
	}
	select {
	case k := <-keys:
		if k != '7' {
			t.Fatalf("key %q, want '7'", k)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the caller's own key was not heard")
	}
}
