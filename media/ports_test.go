package media

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"
)

var loopback = netip.MustParseAddr("127.0.0.1")

func newPool(t *testing.T, low, high int) *PortPool {
	t.Helper()
	p, err := NewPortPool(loopback, low, high)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPortPoolPairsAndExhaustion(t *testing.T) {
	p := newPool(t, 31101, 31106) // odd low: pairs 31102/3 and 31104/5; 31106 has no odd partner
	if p.Size() != 2 {
		t.Fatalf("Size = %d, want 2", p.Size())
	}
	a, err := p.Open()
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.Open()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Session{a, b} {
		if s.Port()%2 != 0 {
			t.Errorf("RTP port %d is odd", s.Port())
		}
		// The RTCP port is ours too: nobody else can bind it.
		if c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: s.Port() + 1}); err == nil {
			c.Close()
			t.Errorf("RTCP port %d was not reserved", s.Port()+1)
		}
	}
	if _, err := p.Open(); !errors.Is(err, ErrNoPorts) {
		t.Fatalf("third Open: %v, want ErrNoPorts", err)
	}
	port := a.Port()
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	a.Close() // twice is harmless
	if p.InUse() != 1 {
		t.Fatalf("InUse = %d after one Close, want 1", p.InUse())
	}
	c, err := p.Open()
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	if c.Port() != port {
		t.Errorf("got port %d, want the released %d", c.Port(), port)
	}
	c.Close()
	b.Close()
	if p.InUse() != 0 {
		t.Fatalf("InUse = %d after closing all, want 0", p.InUse())
	}
}

func TestPortPoolSkipsPortsTakenElsewhere(t *testing.T) {
	busy, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 31121}) // the RTCP half of the first pair
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	p := newPool(t, 31120, 31123)
	s, err := p.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Port() != 31122 {
		t.Fatalf("port %d, want 31122: the pair 31120/31121 is half taken", s.Port())
	}
	if _, err := p.Open(); !errors.Is(err, ErrNoPorts) {
		t.Fatalf("Open = %v, want ErrNoPorts", err)
	}
}

func TestPortPoolConcurrent(t *testing.T) {
	p := newPool(t, 31200, 31399) // 100 pairs
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		seen = map[int]bool{}
	)
	for range 8 {
		wg.Go(func() {
			for range 50 {
				s, err := p.Open()
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if seen[s.Port()] {
					t.Errorf("port %d handed out twice", s.Port())
				}
				seen[s.Port()] = true
				mu.Unlock()
				mu.Lock()
				delete(seen, s.Port())
				mu.Unlock()
				s.Close()
			}
		})
	}
	wg.Wait()
	if p.InUse() != 0 {
		t.Fatalf("InUse = %d, want 0", p.InUse())
	}
}

func TestNewPortPoolRejectsBadRanges(t *testing.T) {
	for _, r := range [][2]int{{0, 100}, {20000, 10000}, {10001, 10001}, {65535, 65536}} {
		if _, err := NewPortPool(loopback, r[0], r[1]); err == nil {
			t.Errorf("NewPortPool(%d, %d) accepted", r[0], r[1])
		}
	}
}

// Ports come at random from the range, not one after another: a sweeper
// that found one call's port learns nothing of the next call's.
func TestPortPoolPicksAtRandom(t *testing.T) {
	p := newPool(t, 33400, 34399) // 500 pairs
	var ports []int
	for range 20 {
		s, err := p.Open()
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		ports = append(ports, s.Port())
	}
	next := 0
	for i := 1; i < len(ports); i++ {
		if ports[i] == ports[i-1]+2 {
			next++
		}
	}
	// At random, a port follows the previous one 1 time in 500.
	if next > 2 {
		t.Fatalf("ports %v: %d of 19 follow the one before", ports, next)
	}
}

// A released pair rests for the quarantine while others are free, and is
// handed out again when it is the only one left.
func TestPortPoolQuarantine(t *testing.T) {
	p := newPool(t, 31140, 31145) // 3 pairs
	now := time.Unix(1000, 0)
	p.now = func() time.Time { return now }
	a, err := p.Open()
	if err != nil {
		t.Fatal(err)
	}
	rested := a.Port()
	a.Close()
	for range 2 {
		s, err := p.Open()
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if s.Port() == rested {
			t.Fatalf("port %d handed out again at once, with other pairs free", rested)
		}
	}
	s, err := p.Open()
	if err != nil {
		t.Fatalf("the only pair left, in quarantine: %v", err)
	}
	if s.Port() != rested {
		t.Fatalf("port %d, want the rested %d", s.Port(), rested)
	}
	s.Close()
	now = now.Add(p.Quarantine)
	s, err = p.Open()
	if err != nil || s.Port() != rested {
		t.Fatalf("after the quarantine: port %d, %v; want %d", s.Port(), err, rested)
	}
	s.Close()
}
