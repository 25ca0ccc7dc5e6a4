package media

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// playerOn opens a Session whose remote is a phone, with format f.
func playerOn(t testing.TB, pool *PortPool, f Format) (*Session, *phone) {
	t.Helper()
	s, err := pool.Open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ph := newPhone(t)
	s.SetRemote(ph.addr(), ph.addr().Addr())
	s.SetFormat(f)
	return s, ph
}

// ramp is a clip whose every sample differs from its neighbours', so a
// misplaced byte shows.
func rampClip(n int) *Clip {
	pcm := make([]int16, n)
	for i := range pcm {
		pcm[i] = int16(i*97%20000 - 10000)
	}
	return NewClip(pcm)
}

type arrival struct {
	pkt *rtp.Packet
	at  time.Time
}

// playAndRecv plays clip on p while ph takes n packets as they arrive.
func playAndRecv(t *testing.T, p *Player, clip *Clip, ph *phone, n int) (time.Time, []arrival) {
	t.Helper()
	errc := make(chan error, 1)
	start := time.Now()
	go func() { errc <- p.Play(context.Background(), clip) }()
	got := ph.recvN(n)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	return start, got
}

func (p *phone) recvN(n int) []arrival {
	p.t.Helper()
	var got []arrival
	for range n {
		pkt := p.mustRecv()
		got = append(got, arrival{pkt, time.Now()})
	}
	return got
}

func TestPlayerSendsTheClipPaced(t *testing.T) {
	for _, tc := range []struct {
		name    string
		format  Format
		pt      uint8
		codec   string
		silence byte
	}{
		{"pcma", pcma, 8, PCMA, 0xD5},
		{"pcmu", pcmu, 0, PCMU, 0xFF},
		{"no format", Format{}, 0, PCMU, 0xFF},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pool := newPool(t, 32000, 32099)
			s, ph := playerOn(t, pool, tc.format)
			var lates []time.Duration
			p := NewPlayer(s, func(late time.Duration) { lates = append(lates, late) })
			clip := rampClip(6*FrameSamples + 40) // 6.25 frames: 7 packets
			start, got := playAndRecv(t, p, clip, ph, 7)
			if d := time.Since(start); d < 7*Frame {
				t.Errorf("Play returned after %v, before the clip's %v had played", d, 7*Frame)
			}
			ph.nothing()
			want := slices.Concat(clip.Encoded(tc.codec), bytes.Repeat([]byte{tc.silence}, 120))
			first := got[0].pkt
			for i, a := range got {
				h := a.pkt.Header
				if h.PayloadType != tc.pt || h.SSRC != first.SSRC || h.Marker != (i == 0) ||
					h.SequenceNumber != first.SequenceNumber+uint16(i) || h.Timestamp != first.Timestamp+uint32(i*FrameSamples) {
					t.Errorf("packet %d: PT %d SSRC %x marker %v seq %d ts %d; first seq %d ts %d",
						i, h.PayloadType, h.SSRC, h.Marker, h.SequenceNumber, h.Timestamp, first.SequenceNumber, first.Timestamp)
				}
				if !bytes.Equal(a.pkt.Payload, want[i*FrameSamples:(i+1)*FrameSamples]) {
					t.Errorf("packet %d carries the wrong audio", i)
				}
				// Packet i is not sent before its slot: no burst.
				if d := a.at.Sub(start); d < time.Duration(i)*Frame {
					t.Errorf("packet %d arrived %v after Play began, before its slot at %v", i, d, time.Duration(i)*Frame)
				}
			}
			if len(lates) != 7 {
				t.Fatalf("observe called %d times for 7 packets", len(lates))
			}
			for _, l := range lates {
				if l < 0 {
					t.Errorf("a packet went out %v early", -l)
				}
			}
		})
	}
}

// A second Play goes on with the same SSRC and sequence, and moves the
// timestamp on by the pause between them.
func TestPlayerContinuesAcrossPlays(t *testing.T) {
	pool := newPool(t, 32100, 32199)
	s, ph := playerOn(t, pool, pcmu)
	p := NewPlayer(s, nil)
	clip := rampClip(2 * FrameSamples)
	ctx := context.Background()
	if err := p.Play(ctx, clip); err != nil {
		t.Fatal(err)
	}
	const pause = 300 * time.Millisecond
	time.Sleep(pause)
	before := time.Now()
	if err := p.Play(ctx, clip); err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(before) + pause // an upper bound on the pause the timestamps must show
	// And back to back: no gap at all.
	if err := p.Play(ctx, clip); err != nil {
		t.Fatal(err)
	}
	got := ph.recvN(6)
	seq, ts := got[0].pkt.SequenceNumber, got[0].pkt.Timestamp
	for i, a := range got {
		if a.pkt.SSRC != got[0].pkt.SSRC || a.pkt.SequenceNumber != seq+uint16(i) {
			t.Fatalf("packet %d: SSRC %x seq %d, want SSRC %x seq %d", i, a.pkt.SSRC, a.pkt.SequenceNumber, got[0].pkt.SSRC, seq+uint16(i))
		}
		if a.pkt.Marker != (i%2 == 0) {
			t.Errorf("packet %d: marker %v", i, a.pkt.Marker)
		}
	}
	gap := got[2].pkt.Timestamp - (ts + FrameSamples)
	lo, hi := uint32(pause/(time.Second/Rate))+FrameSamples, uint32(elapsed/(time.Second/Rate))+FrameSamples
	if gap < lo || gap > hi {
		t.Errorf("timestamp moved on by %d samples over the pause, want %d-%d", gap, lo, hi)
	}
	// Back to back means the third Play began within a frame of the
	// second's end, so its first packet followed the last within two
	// frames. A test goroutine woken later than that (a loaded machine)
	// made a real pause, which the timestamp rightly shows.
	if d := got[4].pkt.Timestamp - got[3].pkt.Timestamp; d != FrameSamples {
		if gap := got[4].at.Sub(got[3].at); gap < 2*Frame {
			t.Errorf("back-to-back Plays: timestamp step %d, want %d", d, FrameSamples)
		} else {
			t.Logf("the third Play began late (its first packet %v after the last): timestamp step %d", gap, d)
		}
	}
}

func TestPlayerStopsWhenCancelled(t *testing.T) {
	pool := newPool(t, 32200, 32299)
	s, ph := playerOn(t, pool, pcmu)
	p := NewPlayer(s, nil)
	hangup := errors.New("caller hung up")
	ctx, cancel := context.WithCancelCause(context.Background())
	time.AfterFunc(100*time.Millisecond, func() { cancel(hangup) })
	start := time.Now()
	err := p.Play(ctx, Silence(5*time.Second))
	if !errors.Is(err, hangup) {
		t.Fatalf("Play = %v, want the cause %v", err, hangup)
	}
	stopped := time.Since(start)
	t.Logf("stopped %v after Play began, cancelled at 100ms", stopped)
	if stopped > time.Second {
		t.Fatalf("Play ran %v of a 5 s clip cancelled at 100 ms", stopped)
	}
	n := 0
	for ph.recv(100*time.Millisecond) != nil {
		n++
	}
	if n < 3 || n > 10 {
		t.Errorf("%d packets sent in about 100 ms", n)
	}
	if err := p.Play(ctx, Silence(time.Second)); !errors.Is(err, hangup) {
		t.Errorf("Play on an ended context = %v", err)
	}
	s.Close()
	if err := p.Play(context.Background(), Silence(time.Second)); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Play on a closed Session = %v, want net.ErrClosed", err)
	}
}

// After a stall the player re-bases its schedule instead of sending what it
// owes in a burst.
func TestPlayerRebasesAfterAStall(t *testing.T) {
	pool := newPool(t, 32300, 32399)
	s, ph := playerOn(t, pool, pcmu)
	var mu sync.Mutex
	var lates []time.Duration
	p := NewPlayer(s, func(late time.Duration) { mu.Lock(); lates = append(lates, late); mu.Unlock() })
	// The clock jumps 300 ms after the third packet, as a stalled process
	// would see it.
	var stall time.Duration
	p.pacer = &pacer{now: func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		if len(lates) == 3 {
			stall = 300 * time.Millisecond
		}
		return time.Now().Add(stall)
	}}
	_, got := playAndRecv(t, p, rampClip(12*FrameSamples), ph, 12)
	if late := lates[3]; late < 250*time.Millisecond {
		t.Errorf("the packet after the stall was reported %v late", late)
	}
	// Nine packets after the stall take eight frames, not a burst (which
	// would take a few milliseconds); the bound leaves room for a receiver
	// that a loaded machine wakes late.
	if d := got[11].at.Sub(got[3].at); d < 4*Frame {
		t.Errorf("the 9 packets after a stall went out in %v: a burst", d)
	}
	for i, l := range lates[4:] {
		if l > 50*time.Millisecond {
			t.Errorf("packet %d still %v late after the re-base", i+4, l)
		}
	}
}

func TestPlayerDoesNotAllocatePerPacket(t *testing.T) {
	pool := newPool(t, 32400, 32499)
	s, _ := playerOn(t, pool, pcmu)
	p := NewPlayer(s, func(time.Duration) {})
	clip := rampClip(25 * FrameSamples)
	ctx := context.Background()
	allocs := testing.AllocsPerRun(2, func() {
		if err := p.Play(ctx, clip); err != nil {
			t.Fatal(err)
		}
	})
	if allocs >= 5 {
		t.Errorf("%v allocations playing 25 packets", allocs)
	}
}

// BenchmarkPlayerLateness plays a 3 s clip on 500 Sessions at once, each
// Player on its own goroutine as calls would, and reports how late packets
// went out against their schedule. Run it with -benchtime=1x; go test -cpu 2
// shows a two-core machine.
func BenchmarkPlayerLateness(b *testing.B) {
	const players = 500
	pool, err := NewPortPool(loopback, 40000, 41999)
	if err != nil {
		b.Fatal(err)
	}
	sink, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	var drained sync.WaitGroup
	drained.Go(func() {
		buf := make([]byte, MaxPacket)
		for {
			if _, err := sink.Read(buf); err != nil {
				return
			}
		}
	})
	defer func() { sink.Close(); drained.Wait() }()
	to := sink.LocalAddr().(*net.UDPAddr).AddrPort()
	sessions := make([]*Session, players)
	for i := range sessions {
		if sessions[i], err = pool.Open(); err != nil {
			b.Fatal(err)
		}
		defer sessions[i].Close()
		sessions[i].SetRemote(netip.AddrPortFrom(to.Addr(), to.Port()), to.Addr())
		sessions[i].SetFormat(pcmu)
	}
	clip := Tone(440, 3*time.Second, 0.3)
	lates := make([][]time.Duration, players)
	for b.Loop() {
		var wg sync.WaitGroup
		for i, s := range sessions {
			lates[i] = make([]time.Duration, 0, clip.Len()/FrameSamples+1)
			p := NewPlayer(s, func(l time.Duration) { lates[i] = append(lates[i], l) })
			wg.Go(func() {
				// Calls start at random moments, not all on one tick.
				time.Sleep(time.Duration(i) * Frame / players)
				if err := p.Play(context.Background(), clip); err != nil {
					b.Error(err)
				}
			})
		}
		wg.Wait()
	}
	all := slices.Concat(lates...)
	slices.Sort(all)
	q := func(f float64) time.Duration { return all[int(f*float64(len(all)-1))] }
	b.ReportMetric(float64(q(0.50).Microseconds()), "p50-late-µs")
	b.ReportMetric(float64(q(0.99).Microseconds()), "p99-late-µs")
	b.ReportMetric(float64(all[len(all)-1].Microseconds()), "max-late-µs")
	b.Logf("%d packets: p50 %v p90 %v p99 %v p99.9 %v max %v", len(all), q(0.5), q(0.9), q(0.99), q(0.999), all[len(all)-1])
}
