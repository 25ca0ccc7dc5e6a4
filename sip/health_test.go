package sip

import (
	"context"
	"log/slog"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"pbx/configs"
)

// A TCP listener that breaks for good ends serving with an error, which
// ends the process, and the server reports itself unhealthy meanwhile;
// before, Serve waited forever with both listeners closed.
func TestServeEndsWhenTheTCPListenerBreaks(t *testing.T) {
	cfg := configs.Default().SIP
	cfg.Addr, cfg.Transports, cfg.Registrar.Keepalive = "127.0.0.1:0", []string{"udp", "tcp"}, 0
	log := slog.New(slog.DiscardHandler)
	srv, err := NewServer(cfg, Deps{Accounts: fakeAccounts{}, Location: NewLocation(nil, log, 1, time.Now),
		Metrics: prometheus.NewRegistry(), Log: log})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Health(); err == nil {
		t.Fatal("healthy before serving")
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(context.Background()) }()
	deadline := time.Now().Add(5 * time.Second)
	for srv.Health() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("not healthy 5s after Serve: %v", srv.Health())
		}
		time.Sleep(10 * time.Millisecond)
	}

	// Shut the listening socket down under sipgo: accept fails with EINVAL.
	raw, err := srv.tcp.Listener.(*net.TCPListener).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	raw.Control(func(fd uintptr) { syscall.Shutdown(int(fd), syscall.SHUT_RD) })
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("Serve returned no error after its TCP listener broke")
		}
		t.Logf("Serve: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("Serve still running 10s after its TCP listener broke")
	}
	if err := srv.Health(); err == nil {
		t.Fatal("healthy after the TCP listener broke")
	}
}
