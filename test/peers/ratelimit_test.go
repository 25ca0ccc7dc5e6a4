package peers

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// TestRateLimitDropsAFloodingSource floods OPTIONS from one address with
// the limit at 50/s (bursts of 100): the PBX answers about the burst, then
// drops the source's packets and counts them, while another address is
// still answered, and a trunk's address and an allow-listed one are never
// limited.
func TestRateLimitDropsAFloodingSource(t *testing.T) {
	p := startPBX(t, "127.0.0.116", "", "PBX_SIP_RATE_LIMIT=50", "PBX_SIP_RATE_LIMIT_BURST=100",
		"PBX_SIP_RATE_LIMIT_BLOCK_FOR=1m", "PBX_GUARD_ALLOW=127.0.0.119/32")
	p.carrierTrunk("127.0.0.118")
	server := &net.UDPAddr{IP: net.ParseIP(p.ip), Port: p.sipPort}
	// send sends n OPTIONS from ip and returns how many were answered.
	send := func(ip string, n int) int {
		conn := listenUDP(t, ip)
		a := collect(conn)
		src := conn.LocalAddr().String()
		blast(t, conn, server, a, n, 50, func(i int) []byte {
			return rawRequest("OPTIONS", "sip:"+p.ip, src, fmt.Sprintf("%s-%d", ip, i))
		})
		a.settle(n)
		a.mu.Lock()
		defer a.mu.Unlock()
		return len(a.byID)
	}

	flooder := send("127.0.0.117", 300)
	limited := p.metricInt("pbx_sip_rate_limited_total")
	t.Logf("flooder: %d of 300 answered, %d packets dropped by the limit", flooder, limited)
	if flooder > 120 || limited < 180 {
		t.Errorf("flooder: %d answered, %d dropped; want the burst (100) answered and the rest dropped", flooder, limited)
	}
	// Responses do not count: a phone answering many calls is no flood.
	phone := listenUDP(t, "127.0.0.121")
	for i := range 300 {
		res := strings.Replace(string(rawRequest("OPTIONS", "sip:"+p.ip, phone.LocalAddr().String(), fmt.Sprintf("res-%d", i))),
			"OPTIONS sip:"+p.ip+" SIP/2.0", "SIP/2.0 200 OK", 1)
		phone.WriteToUDP([]byte(res), server)
		time.Sleep(time.Millisecond) // paced for the socket buffer, still far over 50/s
	}
	phone.Close()
	if got := send("127.0.0.121", 1); got != 1 {
		t.Errorf("a source that sent 300 responses got %d answers to a request, want 1", got)
	}
	if got := send("127.0.0.120", 1); got != 1 {
		t.Errorf("another source's OPTIONS got %d answers, want 1: the limit is per source", got)
	}
	const n = 1000
	if got := send("127.0.0.118", n); got < n*99/100 {
		t.Errorf("the trunk's address got %d of %d answered: trunks are never limited", got, n)
	}
	if got := send("127.0.0.119", n); got < n*99/100 {
		t.Errorf("an allow-listed address got %d of %d answered: sip.guard.allow is never limited", got, n)
	}
}
