package ivr

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"pbx/media"
)

// speak reads text aloud with the speech synthesizer and decodes what it
// says (espeak-ng writes a 22.05 kHz WAV whose sizes are placeholders, as
// it streams). The text goes in on stdin, never on the command line, where
// a prompt starting with "-" would be taken for an option and where other
// users of the machine could read it.
func (l *Library) speak(ctx context.Context, text string) (*media.Clip, error) {
	ctx, cancel := context.WithTimeout(ctx, ttsTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, l.opts.TTSCommand,
		"-v", l.opts.TTSVoice, "-s", strconv.Itoa(l.opts.TTSSpeed), "--stdout")
	cmd.Stdin = strings.NewReader(text)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	// A synthesizer that leaves a child holding its output open must not
	// hold the load for ever once it is killed.
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	switch {
	case errors.Is(err, exec.ErrNotFound), errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%w: %s not found", ErrNoTTS, l.opts.TTSCommand)
	case ctx.Err() != nil:
		return nil, fmt.Errorf("text-to-speech: %s did not finish within %s", l.opts.TTSCommand, ttsTimeout)
	case err != nil:
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return nil, fmt.Errorf("text-to-speech with voice %q: %s", l.opts.TTSVoice, msg)
	}
	clip, _, err := media.DecodeWAV(bytes.NewReader(out.Bytes()))
	if err != nil {
		return nil, fmt.Errorf("text-to-speech: the output of %s %w", l.opts.TTSCommand, err)
	}
	return clip, nil
}
