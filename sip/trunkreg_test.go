package sip

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"io"
	"log/slog"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/prometheus/client_golang/prometheus"

	"pbx/configs"
)

// fakeCarrier is a registrar that demands digest (realm carrier.example)
// and reports each successful REGISTER's Expires.
func fakeCarrier(t *testing.T, user, password string) (addr string, registered chan string) {
	t.Helper()
	ua, _ := sipgo.NewUA(sipgo.WithUserAgent("carrier"))
	t.Cleanup(func() { ua.Close() })
	srv, _ := sipgo.NewServer(ua)
	d := NewDigest("carrier.example", []string{"MD5"}, time.Minute, true, time.Now)
	sum := md5.Sum([]byte(user + ":carrier.example:" + password))
	acct := &Account{Username: user, HA1MD5: hex.EncodeToString(sum[:])}
	registered = make(chan string, 4)
	srv.OnRegister(func(req *sip.Request, tx sip.ServerTransaction) {
		h := req.GetHeader("Authorization")
		if h == nil {
			respond(tx, req, 401, "Unauthorized", []sip.Header{sip.NewHeader("WWW-Authenticate", d.Challenges(false, sourceAddr(req.Source()))[0])})
			return
		}
		cred, err := Credentials(h.Value())
		if err != nil || d.Verify(cred, Request{Method: "REGISTER", URI: req.Recipient, Source: sourceAddr(req.Source())}, acct) != OK {
			respond(tx, req, 403, "Forbidden", nil)
			return
		}
		exp := req.GetHeader("Expires").Value()
		respond(tx, req, 200, "OK", []sip.Header{sip.NewHeader("Expires", exp)})
		registered <- exp
	})
	l, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.ServeUDP(l)
	t.Cleanup(func() { l.Close() })
	return l.LocalAddr().String(), registered
}

func TestPBXRegistersToTrunk(t *testing.T) {
	carrier, registered := fakeCarrier(t, "pbx-account", "carrier-secret")
	host, port, _ := net.SplitHostPort(carrier)
	p, _ := strconv.Atoi(port)
	trunks := testTrunks(t)
	tr, err := trunks.Create(context.Background(), TrunkInput{Name: ptr("Carrier"), Host: ptr(host), Port: ptr(p),
		Username: ptr("pbx-account"), Password: ptr("carrier-secret"), Register: ptr(true)})
	if err != nil {
		t.Fatal(err)
	}

	cfg := configs.Default().SIP
	cfg.Addr, cfg.Transports, cfg.Registrar.Keepalive = "127.0.0.1:0", []string{"udp"}, 0
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := NewServer(cfg, Deps{Accounts: fakeAccounts{}, Location: NewLocation(nil, log, 10, time.Now),
		Metrics: prometheus.NewRegistry(), Log: log, Trunks: trunks})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()

	select {
	case exp := <-registered:
		if exp != "3600" {
			t.Fatalf("registered for %s s, want 3600", exp)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the PBX did not register to the trunk")
	}
	waitUntil := time.Now().Add(2 * time.Second)
	for {
		got, _ := trunks.Get(context.Background(), tr.ID)
		if got.Registration != nil && got.Registration.Registered {
			break
		}
		if time.Now().After(waitUntil) {
			t.Fatalf("trunk registration state: %+v", got.Registration)
		}
		time.Sleep(20 * time.Millisecond)
	}

	cancel() // stopping un-registers
	<-done
	select {
	case exp := <-registered:
		if exp != "0" {
			t.Fatalf("on shutdown: Expires %s, want 0", exp)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("the PBX did not un-register on shutdown")
	}
}
