package sip

import (
	"runtime"
	"syscall"
	"testing"
	"time"

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
