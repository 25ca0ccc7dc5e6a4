package ivr

import "errors"

var (
	// ErrNotFound is returned for a media file that does not exist.
	ErrNotFound = errors.New("not found")
	// ErrNoPrompt is returned for a prompt with none of text, file and URL set.
	ErrNoPrompt = errors.New("prompt has no text, file_id or url")
	// ErrNoTTS is returned for a text prompt when the speech synthesizer is
	// not installed.
	ErrNoTTS = errors.New("text-to-speech needs espeak-ng (apt-get install espeak-ng)")
	// ErrClosed is returned by a Library after Close.
	ErrClosed = errors.New("prompt library is closed")
)
