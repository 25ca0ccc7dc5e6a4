package peerkit

import (
	"io"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// Peer is a peer tool running beside a test until the test ends.
type Peer struct {
	// Out holds what the peer wrote to stdout and stderr.
	Out *Buffer
	// Stdin writes to the peer's standard input (baresip's commands);
	// nil when the peer reads none.
	Stdin io.WriteCloser

	cmd  *exec.Cmd
	done chan error
}

// start runs bin with args in dir (the test's folder when "") and kills it
// by its PID at the end of the test; withStdin gives it a pipe to read.
func start(t *testing.T, dir string, withStdin bool, bin string, args ...string) *Peer {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	p := &Peer{Out: &Buffer{}, cmd: cmd, done: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = p.Out, p.Out
	if withStdin {
		in, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		p.Stdin = in
	}
	// If the test binary dies, the peer dies with it rather than linger
	// on the test's address.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	// A child of the peer holding its output open must not hold up Wait.
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.done <- cmd.Wait()
		close(p.done) // a second receive, by the cleanup, returns at once
	}()
	t.Cleanup(func() {
		if p.Stdin != nil {
			p.Stdin.Close()
		}
		cmd.Process.Kill()
		<-p.done
	})
	return p
}

// Done delivers how the peer exited, once; later receives get nil.
func (p *Peer) Done() <-chan error { return p.done }

// Signal sends sig to the peer, as a user stopping it would.
func (p *Peer) Signal(sig os.Signal) error { return p.cmd.Process.Signal(sig) }
