package peers

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pbx/test/peerkit"
)

// writeUsers writes a sipp injection file for users first.. with the password password(ext) gives.
func writeUsers(t *testing.T, dir string, first, count int, password func(ext int) string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("SEQUENTIAL\n")
	for ext := first; ext < first+count; ext++ {
		fmt.Fprintf(&b, "%d;[authentication username=%d password=%s]\n", ext, ext, password(ext))
	}
	path := filepath.Join(dir, "users.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSippRegisters1000Users(t *testing.T) {
	sipp := need(t, "sipp", "sip-tester")
	p := startPBX(t, "127.0.0.21", "")
	p.createUsers(1000, 1000)

	dir := outDir(t)
	users := writeUsers(t, dir, 1000, 1000, func(ext int) string { return fmt.Sprintf("pass-%d", ext) })
	scenario, _ := filepath.Abs("testdata/register-auth.xml")
	out, err := run(t, 2*time.Minute, dir, sipp, p.sipAddr(),
		"-sf", scenario, "-inf", users, "-m", "1000", "-r", "250", "-l", "200",
		"-i", "127.0.0.21", "-p", "25070", "-buff_size", "4194304",
		"-trace_stat", "-fd", "1", "-stf", "stats.csv", "-trace_err", "-nostdin", "-timeout", "90s", "-timeout_error")
	if err != nil {
		t.Fatalf("sipp: %v\n%s", err, tail(out, 40))
	}
	succ, fail := sippCounts(t, filepath.Join(dir, "stats.csv"))
	if succ != 1000 || fail != 0 {
		t.Fatalf("sipp: %d successful, %d failed registrations; want 1000 and 0", succ, fail)
	}
	regs := p.registrations()
	if len(regs) != 1000 {
		t.Fatalf("API lists %d registrations, want 1000", len(regs))
	}
	r := regs[0]
	if r.Transport != "udp" || !strings.HasPrefix(r.Source, "127.0.0.21:") || r.UserAgent != "sipp-register" || r.ExpiresIn < 3500 {
		t.Fatalf("registration %+v", r)
	}
	if got := p.metric("pbx_registrations"); got != "1000" {
		t.Fatalf("pbx_registrations = %q", got)
	}
	if got := p.metric(`pbx_sip_requests_total{code="200",method="REGISTER"}`); got != "1000" {
		t.Fatalf("REGISTER 200 count = %q", got)
	}
}

// sippCounts reads the last line of sipp's -trace_stat file.
func sippCounts(t *testing.T, path string) (success, failed int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	head := strings.Split(lines[0], ";")
	last := strings.Split(lines[len(lines)-1], ";")
	col := func(name string) int {
		for i, h := range head {
			if h == name && i < len(last) {
				var n int
				fmt.Sscan(last[i], &n)
				return n
			}
		}
		t.Fatalf("no %s column in %s", name, path)
		return 0
	}
	return col("SuccessfulCall(C)"), col("FailedCall(C)")
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func sipsakRegister(t *testing.T, p *pbx, user, password string, expires, localPort int) (string, error) {
	t.Helper()
	sipsak := need(t, "sipsak", "sipsak")
	return run(t, 20*time.Second, t.TempDir(), sipsak, "-U", "-vv",
		"-s", fmt.Sprintf("sip:%s@%s", user, p.sipAddr()),
		"-C", fmt.Sprintf("sip:%s@127.0.0.22:%d", user, localPort),
		"-u", user, "-a", password, "-x", fmt.Sprint(expires),
		"-l", fmt.Sprint(localPort), "--local-ip", "127.0.0.22", "--symmetric")
}

func TestSipsakRegistersAndUnregisters(t *testing.T) {
	p := startPBX(t, "127.0.0.22", "")
	p.createUser("2001", "sipsak-pass")

	out, err := sipsakRegister(t, p, "2001", "sipsak-pass", 300, 25071)
	if err != nil {
		t.Fatalf("sipsak register: %v\n%s", err, out)
	}
	regs := p.registrations()
	if len(regs) != 1 || regs[0].Username != "2001" || regs[0].Contact != "sip:2001@127.0.0.22:25071" || !strings.Contains(regs[0].UserAgent, "sipsak") {
		t.Fatalf("after register: %+v", regs)
	}

	out, err = sipsakRegister(t, p, "2001", "sipsak-pass", 0, 25071)
	if err != nil {
		t.Fatalf("sipsak un-register: %v\n%s", err, out)
	}
	if regs := p.registrations(); len(regs) != 0 {
		t.Fatalf("after un-register: %+v", regs)
	}
}

func TestWrongPasswordNeverRegisters(t *testing.T) {
	p := startPBX(t, "127.0.0.26", "")
	p.createUser("2001", "right-pass")
	sipsak := need(t, "sipsak", "sipsak")
	out, err := run(t, 20*time.Second, t.TempDir(), sipsak, "-U", "-vv",
		"-s", "sip:2001@"+p.sipAddr(), "-C", "sip:2001@127.0.0.26:25072",
		"-u", "2001", "-a", "wrong-pass", "-x", "300", "-l", "25072", "--local-ip", "127.0.0.26", "--symmetric")
	if err == nil || strings.Contains(out, "SIP/2.0 200") {
		t.Fatalf("sipsak with a wrong password: err=%v\n%s", err, out)
	}
	if !strings.Contains(out, "SIP/2.0 403") {
		t.Fatalf("wrong password not answered 403:\n%s", out)
	}
	if regs := p.registrations(); len(regs) != 0 {
		t.Fatalf("registered with a wrong password: %+v", regs)
	}

	// sipp with wrong passwords for ten users: every REGISTER must fail.
	sipp := need(t, "sipp", "sip-tester")
	dir := outDir(t)
	for ext := 3000; ext < 3010; ext++ {
		p.createUser(fmt.Sprint(ext), "right-pass")
	}
	users := writeUsers(t, dir, 3000, 10, func(int) string { return "wrong-pass" })
	scenario, _ := filepath.Abs("testdata/register-auth.xml")
	out, err = run(t, time.Minute, dir, sipp, p.sipAddr(), "-sf", scenario, "-inf", users, "-m", "10", "-r", "10",
		"-i", "127.0.0.26", "-p", "25073", "-trace_stat", "-fd", "1", "-stf", "stats.csv", "-nostdin", "-timeout", "8s")
	if err == nil {
		t.Fatalf("sipp reported success with wrong passwords:\n%s", tail(out, 20))
	}
	if !strings.Contains(out, "Failed call") {
		t.Fatalf("sipp did not run:\n%s", tail(out, 20))
	}
	if succ, _ := sippCounts(t, filepath.Join(dir, "stats.csv")); succ != 0 {
		t.Fatalf("%d registrations with a wrong password succeeded", succ)
	}
	if regs := p.registrations(); len(regs) != 0 {
		t.Fatalf("registered with a wrong password: %+v", regs)
	}
}

func TestSvwarFindsNoExtension(t *testing.T) {
	svwar := need(t, "svwar", "sipvicious")
	p := startPBX(t, "127.0.0.24", "")
	exts := []string{"100", "101", "150", "1000", "1001"}
	for _, ext := range exts {
		p.createUser(ext, "svwar-pass-"+ext)
	}
	for _, method := range []string{"REGISTER", "OPTIONS", "INVITE"} {
		before := p.requestCount(method)
		out, err := run(t, 2*time.Minute, t.TempDir(), svwar, "-m", method, "-e", "90-160,990-1010",
			"-b", "127.0.0.24", "-P", "25076", "-p", fmt.Sprint(p.sipPort), "--force", p.ip)
		if err != nil {
			t.Fatalf("svwar -m %s: %v\n%s", method, err, out)
		}
		// svwar ran and heard us. Because a known and an unknown extension
		// get the same answer, it gives up ("found nothing") instead of
		// listing the extensions that answer differently.
		if sent := p.requestCount(method) - before; sent < 1 {
			t.Fatalf("svwar -m %s: the server answered only %d requests\n%s", method, sent, out)
		}
		if !strings.Contains(out, "found nothing") {
			t.Fatalf("svwar -m %s found something:\n%s", method, out)
		}
		for _, ext := range exts {
			if strings.Contains(out, "| "+ext+" ") {
				t.Fatalf("svwar -m %s found extension %s:\n%s", method, ext, out)
			}
		}
	}
}

func TestSvcrackIsBlocked(t *testing.T) {
	svcrack := need(t, "svcrack", "sipvicious")
	p := startPBX(t, "127.0.0.27", "", "PBX_GUARD_MAX_FAILURES=5")
	p.createUser("4001", "pass-0015")
	dict := filepath.Join(t.TempDir(), "dict.txt")
	var words []string
	for i := range 30 {
		words = append(words, fmt.Sprintf("pass-%04d", i)) // the right one is 16th
	}
	os.WriteFile(dict, []byte(strings.Join(words, "\n")+"\n"), 0o644)
	out, _ := run(t, 2*time.Minute, t.TempDir(), svcrack, "-u", "4001", "-d", dict,
		"-b", "127.0.0.27", "-p", fmt.Sprint(p.sipPort), "--maximumtime", "5", p.ip)
	if strings.Contains(out, "pass-0015") {
		t.Fatalf("svcrack found the password despite the guard:\n%s", out)
	}
	if got := p.metric("pbx_sip_blocked_sources"); got != "1" {
		t.Fatalf("pbx_sip_blocked_sources = %q, want 1\nsvcrack: %s", got, tail(out, 10))
	}
	if !strings.Contains(p.log.String(), "blocking source after repeated authentication failures") {
		t.Fatal("blocking was not logged")
	}
	t.Logf("svcrack:\n%s", tail(out, 6))
}

func TestBaresipRegisters(t *testing.T) {
	baresip := need(t, "baresip", "baresip-core")
	p := startPBX(t, "127.0.0.23", "")
	p.createUser("3001", "baresip-pass")

	b := peerkit.StartBaresip(t, baresip, peerkit.Baresip{
		Accounts:  []string{"<sip:3001@" + p.sipAddr() + ";transport=udp>;auth_pass=baresip-pass;regint=120"},
		Listen:    "127.0.0.23:25074",
		Interface: "127.0.0.23",
		Player:    "/dev/null",
		Source:    "/dev/null",
	})

	var regs []registration
	ok := false
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) && !ok {
		regs = p.registrations()
		ok = len(regs) == 1 && strings.Contains(strings.ToLower(regs[0].UserAgent), "baresip")
		time.Sleep(200 * time.Millisecond)
	}
	if !ok {
		t.Fatalf("baresip did not show up in /api/v1/registrations: %+v\nbaresip:\n%s", regs, b.Out.String())
	}
	if regs[0].Username != "3001" || regs[0].Transport != "udp" {
		t.Fatalf("registration %+v", regs[0])
	}

	// On a clean exit baresip un-registers.
	b.Signal(os.Interrupt)
	select {
	case <-b.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("baresip did not exit")
	}
	waitFor(t, "baresip to un-register", 5*time.Second, func() bool { return len(p.registrations()) == 0 })
}

func TestShutdownIsCleanAndRestartKeepsRegistrations(t *testing.T) {
	dataDir := t.TempDir()
	p := startPBX(t, "127.0.0.25", dataDir)
	p.createUser("5001", "restart-pass")
	sipsak := need(t, "sipsak", "sipsak")
	out, err := run(t, 20*time.Second, t.TempDir(), sipsak, "-U", "-vv",
		"-s", "sip:5001@"+p.sipAddr(), "-C", "sip:5001@127.0.0.25:25075",
		"-u", "5001", "-a", "restart-pass", "-x", "600", "-l", "25075", "--local-ip", "127.0.0.25", "--symmetric")
	if err != nil {
		t.Fatalf("sipsak: %v\n%s", err, out)
	}
	took, err := p.stop()
	if err != nil || took > 5*time.Second {
		t.Fatalf("SIGTERM: exit %v after %s, want a clean exit within 5s\n%s", err, took, p.log)
	}
	if !strings.Contains(p.log.String(), "stopped") {
		t.Fatalf("no orderly stop in the log:\n%s", p.log)
	}

	again := startPBX(t, "127.0.0.25", dataDir)
	regs := again.registrations()
	if len(regs) != 1 || regs[0].Contact != "sip:5001@127.0.0.25:25075" || regs[0].ExpiresIn < 500 {
		t.Fatalf("after restart: %+v", regs)
	}
}

func TestSipsakRegistersOverTCP(t *testing.T) {
	sipsak := need(t, "sipsak", "sipsak")
	p := startPBX(t, "127.0.0.28", "")
	p.createUser("2002", "tcp-pass-1")
	out, err := run(t, 20*time.Second, t.TempDir(), sipsak, "-U", "-vv", "--transport=tcp",
		"-s", "sip:2002@"+p.sipAddr(), "-C", "sip:2002@127.0.0.28:25077",
		"-u", "2002", "-a", "tcp-pass-1", "-x", "300", "--local-ip", "127.0.0.28")
	if err != nil {
		t.Fatalf("sipsak over TCP: %v\n%s", err, out)
	}
	regs := p.registrations()
	if len(regs) != 1 || regs[0].Transport != "tcp" || regs[0].Username != "2002" {
		t.Fatalf("after a TCP register: %+v\n%s", regs, out)
	}
}
