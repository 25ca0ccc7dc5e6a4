package rawudp

import (
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// dial returns a client socket talking to c's port on host.
func dial(t *testing.T, host string, c *Conn) *net.UDPConn {
	t.Helper()
	peer, err := net.ResolveUDPAddr("udp", net.JoinHostPort(host, fmt.Sprint(c.LocalAddr().(*net.UDPAddr).Port)))
	if err != nil {
		t.Fatal(err)
	}
	u, err := net.DialUDP("udp", nil, peer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { u.Close() })
	return u
}

func listen(t *testing.T, addr string) *Conn {
	t.Helper()
	c, err := Listen(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestReadAndAnswer(t *testing.T) {
	c := listen(t, "127.0.0.1:0")
	u := dial(t, "127.0.0.1", c)
	if _, err := u.Write([]byte("OPTIONS sip:x SIP/2.0\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2048)
	n, from, err := c.ReadFrom(buf)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(buf[:n]); got != "OPTIONS sip:x SIP/2.0\r\n\r\n" {
		t.Fatalf("read %q", got)
	}
	if from.String() != u.LocalAddr().String() {
		t.Fatalf("from %v, the client is %v", from, u.LocalAddr())
	}
	if _, err := c.WriteTo([]byte("SIP/2.0 200 OK\r\n\r\n"), from); err != nil {
		t.Fatal(err)
	}
	u.SetReadDeadline(time.Now().Add(2 * time.Second))
	n, err = u.Read(buf)
	if err != nil || string(buf[:n]) != "SIP/2.0 200 OK\r\n\r\n" {
		t.Fatalf("answer %q, %v", buf[:n], err)
	}
}

// Datagrams queued before the read are taken in batches and handed out one
// by one, in order, none lost or repeated, the larger than a batch too.
func TestQueuedDatagramsInOrder(t *testing.T) {
	c := listen(t, "127.0.0.1:0")
	u := dial(t, "127.0.0.1", c)
	const count = 3*batchSize + 5
	for i := range count {
		if _, err := u.Write([]byte(fmt.Sprintf("packet %d", i))); err != nil {
			t.Fatal(err)
		}
	}
	buf := make([]byte, 100)
	for i := range count {
		n, _, err := c.ReadFrom(buf)
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("packet %d", i); string(buf[:n]) != want {
			t.Fatalf("read %q, want %q", buf[:n], want)
		}
	}
}

// A datagram longer than the reader's buffer is cut to it, as a
// net.UDPConn cuts it, and the next one is whole.
func TestLongDatagramCut(t *testing.T) {
	c := listen(t, "127.0.0.1:0")
	u := dial(t, "127.0.0.1", c)
	long := make([]byte, 9000)
	for i := range long {
		long[i] = 'a'
	}
	u.Write(long)
	u.Write([]byte("short"))
	buf := make([]byte, 100)
	if n, _, err := c.ReadFrom(buf); err != nil || n != 100 {
		t.Fatalf("read %d, %v", n, err)
	}
	if n, _, err := c.ReadFrom(buf); err != nil || string(buf[:n]) != "short" {
		t.Fatalf("read %q, %v", buf[:n], err)
	}
}

func TestCloseWakesTheReader(t *testing.T) {
	c, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 1)
	go func() {
		_, _, err := c.ReadFrom(make([]byte, 100))
		errs <- err
	}()
	time.Sleep(50 * time.Millisecond) // let it block in the kernel
	start := time.Now()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errs:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("read after close: %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the blocked reader did not return after Close")
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Fatalf("Close took %v", d)
	}
	if _, err := c.WriteTo([]byte("x"), &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9}); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("write after close: %v", err)
	}
	if err := c.Close(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("second close: %v", err)
	}
}

// With no host the listener takes IPv6 and IPv4, as net.ListenPacket does,
// and answers an IPv4 peer at its address.
func TestEveryAddress(t *testing.T) {
	c := listen(t, ":0")
	if !c.v6 {
		t.Skip("no IPv6 on this machine: the listener is IPv4 only")
	}
	if ip := c.LocalAddr().(*net.UDPAddr).IP; !ip.Equal(net.IPv6unspecified) {
		t.Fatalf("local address %v", c.LocalAddr())
	}
	u := dial(t, "127.0.0.1", c)
	u.Write([]byte("ping"))
	buf := make([]byte, 100)
	n, from, err := c.ReadFrom(buf)
	if err != nil || string(buf[:n]) != "ping" {
		t.Fatalf("read %q, %v", buf[:n], err)
	}
	if from.String() != u.LocalAddr().String() {
		t.Fatalf("from %v, the client is %v", from, u.LocalAddr())
	}
	if _, err := c.WriteTo([]byte("pong"), from); err != nil {
		t.Fatal(err)
	}
	u.SetReadDeadline(time.Now().Add(2 * time.Second))
	if n, err := u.Read(buf); err != nil || string(buf[:n]) != "pong" {
		t.Fatalf("answer %q, %v", buf[:n], err)
	}
}
