package main

import (
	"math"
	"syscall"
	"testing"
)

func TestTCPCap(t *testing.T) {
	for _, tc := range []struct {
		name     string
		files    uint64
		rtpPorts int
		want     int
		ok       bool
	}{
		{"the usual 20,000 files and default RTP range", 20000, 10001, 20000 - 10001 - 1024, true},
		{"a large limit", 1 << 20, 10001, 1<<20 - 10001 - 1024, true},
		{"unlimited", math.MaxUint64, 10001, math.MaxInt32 - 10001 - 1024, true},
		{"too low for the RTP range", 1024, 10001, 256, false},
		{"tiny", 100, 10, minTCPCap, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := tcpCap(tc.files, tc.rtpPorts)
			if got != tc.want || ok != tc.ok {
				t.Fatalf("tcpCap(%d, %d) = %d, %v; want %d, %v", tc.files, tc.rtpPorts, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestRaiseFileLimitLiftsTheSoftLimit(t *testing.T) {
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old) })
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: old.Max / 2, Max: old.Max}); err != nil {
		t.Fatal(err)
	}
	fl, err := raiseFileLimit()
	if err != nil {
		t.Fatal(err)
	}
	var now syscall.Rlimit
	syscall.Getrlimit(syscall.RLIMIT_NOFILE, &now)
	if fl.soft != old.Max || fl.hard != old.Max || now.Cur != old.Max {
		t.Fatalf("after raising: reported %+v, in force %d; want the hard limit %d", fl, now.Cur, old.Max)
	}
}
