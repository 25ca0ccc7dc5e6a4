package sip

import (
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbx/configs"
)

// BenchmarkRegister is one authenticated REGISTER refresh as a phone sends
// it over UDP: the request, the 401 challenge, the request with
// credentials, the 200.
func BenchmarkRegister(b *testing.B) {
	srv := startServer(b, func(c *configs.SIP) { c.Guard.MaxFailures = 0; c.RateLimit.Rate = 0 })
	ph := newLoadPhone(b, srv.addr)
	defer ph.close()
	if err := ph.register("1001", "alice-secret"); err != nil {
		b.Fatal(err)
	}
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	cpu0 := cpuTime()
	b.ResetTimer()
	for range b.N {
		if err := ph.register("1001", "alice-secret"); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	runtime.ReadMemStats(&ms1)
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-us/op")
	// The server's goroutines allocate too: count the whole process.
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/float64(b.N), "process-allocs/op")
}

// cpuTime is the CPU time the process has used: what a benchmark costs,
// whatever else the machine is running.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkParseRegister is sipgo's parse of a REGISTER with credentials
// as sipp sends it: a REGISTER costs two of these.
func BenchmarkParseRegister(b *testing.B) {
	msg := []byte("REGISTER sip:127.0.0.31:25060 SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP 127.0.0.31:5061;branch=z9hG4bK-25547-1-2;rport\r\n" +
		"From: <sip:100001@127.0.0.31>;tag=25547-1\r\n" +
		"To: <sip:100001@127.0.0.31>\r\n" +
		"Call-ID: 1-25547@127.0.0.31\r\n" +
		"CSeq: 2 REGISTER\r\n" +
		"Contact: <sip:100001@127.0.0.31:5061>\r\n" +
		"Authorization: Digest username=\"100001\",realm=\"pbx\",uri=\"sip:127.0.0.31:25060\",nonce=\"AAAAAGlLZyRhbm90aGVyLW5vbmNlLXZhbHVlLWhlcmU\",response=\"0123456789abcdef0123456789abcdef\",algorithm=MD5\r\n" +
		"User-Agent: sipp-register\r\n" +
		"Max-Forwards: 70\r\n" +
		"Expires: 3600\r\n" +
		"Content-Length: 0\r\n\r\n")
	p := sip.NewParser()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.ParseSIP(msg); err != nil {
			b.Fatal(err)
		}
	}
}
