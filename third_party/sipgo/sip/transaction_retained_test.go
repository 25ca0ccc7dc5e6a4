package sip

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/fakes"
	"github.com/stretchr/testify/require"
)

// A completed transaction lives on for its RFC 3261 timers (32 s on UDP
// for Timers D, H, J, L and M), so at a steady call rate the completed ones
// outnumber the pending ones by far: what each keeps matters.

const retainedSDP = "v=0\r\n" +
	"o=- 3912345678 3912345678 IN IP4 127.0.0.62\r\n" +
	"s=-\r\n" +
	"c=IN IP4 127.0.0.62\r\n" +
	"t=0 0\r\n" +
	"m=audio 16000 RTP/AVP 0 8 101\r\n" +
	"a=rtpmap:0 PCMU/8000\r\n" +
	"a=rtpmap:8 PCMA/8000\r\n" +
	"a=rtpmap:101 telephone-event/8000\r\n" +
	"a=fmtp:101 0-16\r\n" +
	"a=ptime:20\r\n" +
	"a=sendrecv\r\n"

// retainedRequest parses a request as a carrier would send it.
func retainedRequest(t testing.TB, method RequestMethod, i int, body string) *Request {
	t.Helper()
	lines := []string{
		fmt.Sprintf("%s sip:+15550009999@127.0.0.61:5060 SIP/2.0", method),
		fmt.Sprintf("Via: SIP/2.0/UDP 127.0.0.62:5060;branch=z9hG4bK-retained-%d;rport", i),
		"Max-Forwards: 70",
		fmt.Sprintf("From: \"Carrier\" <sip:+15550001111@127.0.0.62:5060>;tag=%d-from", i),
		"To: <sip:+15550009999@127.0.0.61:5060>",
		fmt.Sprintf("Call-ID: %d-retained@127.0.0.62", i),
		fmt.Sprintf("CSeq: 1 %s", method),
		"Contact: <sip:+15550001111@127.0.0.62:5060;transport=udp>",
		"Allow: INVITE, ACK, CANCEL, BYE, OPTIONS",
		"User-Agent: carrier-sbc/1.0",
	}
	if body != "" {
		lines = append(lines, "Content-Type: application/sdp")
	}
	lines = append(lines, fmt.Sprintf("Content-Length: %d", len(body)), "", body)
	req, err := ParseMessage([]byte(strings.Join(lines, "\r\n")))
	require.NoError(t, err)
	r := req.(*Request)
	r.SetSource("127.0.0.62:5060")
	r.SetTransport("UDP")
	return r
}

// retainedResponse parses the answer to req as a peer would send it.
func retainedResponse(t testing.TB, req *Request, status int, body string) *Response {
	t.Helper()
	res := NewResponseFromRequest(req, status, "Reason", nil)
	res.AppendHeader(NewHeader("Contact", "<sip:agent@127.0.0.63:5060>"))
	if body != "" {
		res.AppendHeader(NewHeader("Content-Type", "application/sdp"))
	}
	res.SetBody([]byte(body))
	parsed, err := ParseMessage([]byte(res.String()))
	require.NoError(t, err)
	return parsed.(*Response)
}

// retainedConn is a UDP listener's connection, shared by transactions that
// release refs references to it as they end.
func retainedConn(refs int, w io.Writer) *UDPConnection {
	return &UDPConnection{refcount: refs, PacketConn: &fakes.UDPConn{
		Writers: map[string]io.Writer{
			"127.0.0.61:5060": w,
			"127.0.0.62:5060": w,
			"127.0.0.63:5060": w,
		},
	}}
}

// retainedBytes runs n transactions to their completed state with complete
// and returns the heap they keep, per transaction, while still held.
func retainedBytes(t testing.TB, n int, complete func(i int) Transaction) uint64 {
	t.Helper()
	txs := make([]Transaction, n)
	var before, after runtime.MemStats
	// Two cycles: the first may leave what sync.Pool kept as its victim.
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range txs {
		txs[i] = complete(i)
	}
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&after)
	for _, tx := range txs {
		tx.Terminate()
	}
	if after.HeapAlloc < before.HeapAlloc {
		return 0
	}
	return (after.HeapAlloc - before.HeapAlloc) / uint64(n)
}

func retainedServerTx(t testing.TB, conn Connection, method RequestMethod, i int, status int) *ServerTx {
	body := ""
	if method == INVITE {
		body = retainedSDP
	}
	req := retainedRequest(t, method, i, body)
	tx := NewServerTx(fmt.Sprintf("key-%d", i), req, conn, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, tx.Init())
	res := NewResponseFromRequest(req, status, "Reason", nil)
	res.AppendHeader(NewHeader("Contact", "<sip:pbx@127.0.0.61:5060>"))
	if method == INVITE && status == StatusOK {
		res.AppendHeader(NewHeader("Content-Type", "application/sdp"))
		res.SetBody([]byte(retainedSDP))
	}
	require.NoError(t, tx.Respond(res))
	return tx
}

func retainedClientTx(t testing.TB, conn Connection, method RequestMethod, i int, status int) *ClientTx {
	body := ""
	if method == INVITE {
		body = retainedSDP
	}
	req := retainedRequest(t, method, i, body)
	req.SetDestination("127.0.0.63:5060")
	tx := NewClientTx(fmt.Sprintf("key-%d", i), req, conn, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, tx.Init())
	resBody := ""
	if method == INVITE && status == StatusOK {
		resBody = retainedSDP
	}
	res := retainedResponse(t, req, status, resBody)
	res.SetSource("127.0.0.63:5060")
	go tx.Receive(res)
	<-tx.Responses()
	tx.Err() // waits for the transition to finish
	return tx
}

// BenchmarkTransactionRetained reports the heap a completed transaction
// keeps while it waits out its timers (retained-B/tx).
func BenchmarkTransactionRetained(b *testing.B) {
	cases := []struct {
		name   string
		server bool
		method RequestMethod
		status int
	}{
		{"server/BYE/200", true, BYE, StatusOK},
		{"server/INVITE/486", true, INVITE, StatusBusyHere},
		{"server/INVITE/200", true, INVITE, StatusOK},
		{"client/BYE/200", false, BYE, StatusOK},
		{"client/INVITE/486", false, INVITE, StatusBusyHere},
		{"client/INVITE/200", false, INVITE, StatusOK},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			conn := retainedConn(b.N, io.Discard)
			per := retainedBytes(b, b.N, func(i int) Transaction {
				if tc.server {
					return retainedServerTx(b, conn, tc.method, i, tc.status)
				}
				return retainedClientTx(b, conn, tc.method, i, tc.status)
			})
			b.ReportMetric(float64(per), "retained-B/tx")
		})
	}
}

// Once its final response is out, a transaction lets its request go, and the
// final response too where it will not send it again, yet still does what
// RFC 3261 17 asks of it until its timers end it.
func TestTransactionCompletedReleasesRequest(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ackFor := func(t *testing.T, req *Request, res *Response) *Request {
		t.Helper()
		ack := newAckRequestNon2xx(req, res, nil)
		ack.SetSource("127.0.0.62:5060")
		ack.SetTransport("UDP")
		return ack
	}

	t.Run("server/BYE/200 resends its 200 on a retransmitted BYE", func(t *testing.T) {
		var out bytes.Buffer
		req := retainedRequest(t, BYE, 1, "")
		tx := NewServerTx("key", req, retainedConn(1, &out), log)
		require.NoError(t, tx.Init())
		t.Cleanup(tx.Terminate)
		require.NoError(t, tx.Respond(NewResponseFromRequest(req, StatusOK, "OK", nil)))
		require.Nil(t, tx.Origin())

		out.Reset()
		require.NoError(t, tx.Receive(req))
		require.True(t, strings.HasPrefix(out.String(), "SIP/2.0 200 OK\r\n"), out.String())
	})

	t.Run("server/INVITE/486 resends its 486 and passes the ACK up", func(t *testing.T) {
		var out bytes.Buffer
		req := retainedRequest(t, INVITE, 2, retainedSDP)
		tx := NewServerTx("key", req, retainedConn(1, &out), log)
		require.NoError(t, tx.Init())
		t.Cleanup(tx.Terminate)
		// A dialog's CANCEL hook holds the whole dialog.
		require.True(t, tx.OnCancel(func(*Request) {}))
		res := NewResponseFromRequest(req, StatusBusyHere, "Busy Here", nil)
		require.NoError(t, tx.Respond(res))
		require.Nil(t, tx.Origin())
		tx.mu.Lock()
		onCancel := tx.onCancel
		tx.mu.Unlock()
		require.Nil(t, onCancel, "a completed transaction keeps its CANCEL hook")

		out.Reset()
		require.NoError(t, tx.Receive(req))
		require.True(t, strings.HasPrefix(out.String(), "SIP/2.0 486 Busy Here\r\n"), out.String())

		ack := ackFor(t, req, res)
		require.NoError(t, tx.Receive(ack))
		select {
		case got := <-tx.Acks():
			require.Same(t, ack, got)
		case <-time.After(time.Second):
			t.Fatal("ACK to the 486 not passed up")
		}
		require.NoError(t, compareFunctions(tx.currentFsmState(), tx.inviteStateConfirmed))
	})

	t.Run("server/INVITE/200 passes the ACK up and waits for Timer L", func(t *testing.T) {
		var out bytes.Buffer
		req := retainedRequest(t, INVITE, 3, retainedSDP)
		tx := NewServerTx("key", req, retainedConn(1, &out), log)
		require.NoError(t, tx.Init())
		t.Cleanup(tx.Terminate)
		res := NewResponseFromRequest(req, StatusOK, "OK", nil)
		require.NoError(t, tx.Respond(res))
		require.Nil(t, tx.Origin())

		// The TU retransmits the 2xx (RFC 6026 7.1).
		out.Reset()
		require.NoError(t, tx.Respond(res))
		require.True(t, strings.HasPrefix(out.String(), "SIP/2.0 200 OK\r\n"), out.String())

		// Still answered: the transaction stays for its timer.
		tx.TerminateGracefully()
		select {
		case <-tx.Done():
			t.Fatal("an answered INVITE transaction ended before Timer L")
		default:
		}

		ack := ackFor(t, req, res)
		require.NoError(t, tx.Receive(ack))
		select {
		case got := <-tx.Acks():
			require.Same(t, ack, got)
		case <-time.After(time.Second):
			t.Fatal("ACK to the 200 not passed up")
		}
	})

	t.Run("client/BYE/200", func(t *testing.T) {
		tx := retainedClientTx(t, retainedConn(1, io.Discard), BYE, 4, StatusOK)
		t.Cleanup(tx.Terminate)
		require.Nil(t, tx.Origin())
	})

	t.Run("client/INVITE/200", func(t *testing.T) {
		tx := retainedClientTx(t, retainedConn(1, io.Discard), INVITE, 5, StatusOK)
		t.Cleanup(tx.Terminate)
		require.Nil(t, tx.Origin())
	})

	t.Run("client/INVITE/486 ACKs a retransmitted 486 again", func(t *testing.T) {
		// The ACK for a retransmission waits T2 (an ACK loop guard).
		t2 := T2
		T2 = time.Millisecond
		t.Cleanup(func() { T2 = t2 })

		var out bytes.Buffer
		req := retainedRequest(t, INVITE, 6, retainedSDP)
		req.SetDestination("127.0.0.63:5060")
		tx := NewClientTx("key", req, retainedConn(1, &out), log)
		require.NoError(t, tx.Init())
		t.Cleanup(tx.Terminate)
		res := retainedResponse(t, req, StatusBusyHere, "")
		go tx.Receive(res)
		<-tx.Responses()
		tx.Err()
		require.Nil(t, tx.Origin())
		_, firstAck, ok := strings.Cut(out.String(), "ACK ")
		require.True(t, ok, out.String())

		out.Reset()
		tx.Receive(retainedResponse(t, retainedRequest(t, INVITE, 6, retainedSDP), StatusBusyHere, ""))
		require.Equal(t, "ACK "+firstAck, out.String())
	})
}

// A dialog terminates its INVITE transaction when the call ends (BYE),
// usually well before Timer L or M. The transaction must then stop them: a
// pending timer holds the transaction and, through its hooks, the dialog.
func TestTerminatedTransactionStopsTimersLM(t *testing.T) {
	// session stands for a dialog a hook holds; released when it is collected.
	hooked := func(t *testing.T, hook func(session *[64]byte)) <-chan struct{} {
		t.Helper()
		released := make(chan struct{})
		session := new([64]byte)
		runtime.SetFinalizer(session, func(*[64]byte) { close(released) })
		hook(session)
		return released
	}
	waitReleased := func(t *testing.T, released <-chan struct{}) {
		t.Helper()
		deadline := time.After(2 * time.Second)
		for {
			runtime.GC()
			select {
			case <-released:
				return
			case <-deadline:
				t.Fatal("a terminated transaction is still held (by its timer) with its hooks")
			case <-time.After(10 * time.Millisecond):
			}
		}
	}

	t.Run("server/Timer L", func(t *testing.T) {
		released := hooked(t, func(session *[64]byte) {
			tx := retainedServerTx(t, retainedConn(1, io.Discard), INVITE, 1, StatusOK)
			require.True(t, tx.OnTerminate(func(string, error) { session[0]++ }))
			tx.Terminate()
		})
		waitReleased(t, released)
	})

	t.Run("client/Timer M", func(t *testing.T) {
		released := hooked(t, func(session *[64]byte) {
			tx := retainedClientTx(t, retainedConn(1, io.Discard), INVITE, 2, StatusOK)
			require.True(t, tx.OnRetransmission(func(*Response) { session[0]++ }))
			tx.Terminate()
		})
		waitReleased(t, released)
	})
}
