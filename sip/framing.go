package sip

// framer follows the message boundaries of a SIP byte stream (RFC 3261 7.5)
// without parsing it: it finds the blank line that ends the headers and
// counts the Content-Length bytes of body after it. The TCP listener asks it
// whether a connection is between messages or part way through one, to time
// each message; sipgo still does the parsing. Where the two could disagree
// (a message sipgo refuses), sipgo closes the connection anyway.
type framer struct {
	state framerState
	// began is whether the message in progress began in the last feed.
	began bool

	// The header line being read.
	lineLen   int  // bytes on the line, its CRLF not counted
	cr        bool // the last byte was a CR
	startLine bool
	// afterStart is whether the line before was the start line.
	afterStart bool
	phase      linePhase
	// folded is where a folded continuation of the last line resumes
	// matching, phaseOther when it cannot be part of a Content-Length.
	folded  linePhase
	nameLen int
	cl, l   bool // the name may still be Content-Length / its compact form l
	value   int64

	length    int64 // Content-Length of the message in progress
	remaining int64 // body bytes still to come
}

type framerState uint8

const (
	betweenMessages framerState = iota
	inHeaders
	inBody
)

// linePhase is how far a header line has been matched against
// "Content-Length" SP* ":" SP* DIGITS.
type linePhase uint8

const (
	phaseName linePhase = iota
	phaseColon
	phaseValue
	phaseDigits
	phaseOther // not a Content-Length line, or nothing more to learn from it
)

const contentLength = "content-length"

// maxContentLength stops the value growing: sipgo refuses far shorter bodies.
const maxContentLength = 1 << 40

// feed reads p and returns how many messages it completed.
func (f *framer) feed(p []byte) (done int) {
	f.began = false
	for i := 0; i < len(p); i++ {
		switch f.state {
		case betweenMessages:
			// CRLFs between messages are keepalives (RFC 5626 3.5.1);
			// sipgo skips them in pairs, so a lone CR or LF begins a
			// message (one it will not parse).
			switch {
			case p[i] == '\r' && !f.cr:
				f.cr = true
				continue
			case p[i] == '\n' && f.cr:
				f.cr = false
				continue
			}
			cr := f.cr
			f.state, f.began = inHeaders, true
			f.length, f.startLine, f.cr, f.folded = 0, true, false, phaseOther
			f.newLine()
			if cr {
				f.headerByte('\r')
			}
			f.headerByte(p[i])
		case inHeaders:
			f.headerByte(p[i])
			if f.state == betweenMessages {
				done++
				f.began = false
			}
		case inBody:
			n := int64(len(p) - i)
			if n > f.remaining {
				n = f.remaining
			}
			f.remaining -= n
			i += int(n) - 1
			if f.remaining == 0 {
				f.state = betweenMessages
				done++
				f.began = false
			}
		}
	}
	return done
}

// inMessage reports whether part of a message has arrived and the rest not.
func (f *framer) inMessage() bool { return f.state != betweenMessages }

// idle reports whether the stream is between messages with nothing pending,
// not even half a CRLF.
func (f *framer) idle() bool { return f.state == betweenMessages && !f.cr }

func (f *framer) newLine() {
	f.lineLen, f.nameLen, f.value = 0, 0, 0
	f.phase, f.cl, f.l = phaseName, true, true
	if f.startLine {
		f.phase = phaseOther
	}
}

// headerByte reads a byte of the start line or headers. Lines end with
// CRLF only, as sipgo reads them: a bare LF is part of its line.
func (f *framer) headerByte(c byte) {
	if f.cr {
		f.cr = false
		if c == '\n' {
			f.endLine()
			return
		}
		f.lineByte('\r')
	}
	if c == '\r' {
		f.cr = true
		return
	}
	f.lineByte(c)
}

func (f *framer) lineByte(c byte) {
	f.lineLen++
	if f.lineLen == 1 && (c == ' ' || c == '\t') && !f.afterStart {
		// A folded line continues the header before it (sipgo folds no
		// start line: there, leading blanks are skipped).
		f.phase, f.folded = f.folded, phaseOther
		return
	}
	switch f.phase {
	case phaseName:
		if isSpace(c) && f.nameLen == 0 {
			return // sipgo trims the name
		}
		if isSpace(c) || c == ':' {
			if (f.cl && f.nameLen == len(contentLength)) || (f.l && f.nameLen == 1) {
				f.phase = phaseColon
				if c == ':' {
					f.phase = phaseValue
				}
			} else {
				f.phase = phaseOther
			}
			return
		}
		lc := c | 0x20 // ASCII lower case; other bytes simply fail to match
		f.cl = f.cl && f.nameLen < len(contentLength) && contentLength[f.nameLen] == lc
		f.l = f.l && f.nameLen == 0 && lc == 'l'
		f.nameLen++
		if !f.cl && !f.l {
			f.phase = phaseOther
		}
	case phaseColon:
		switch {
		case isSpace(c):
		case c == ':':
			f.phase = phaseValue
		default:
			f.phase = phaseOther
		}
	case phaseValue, phaseDigits:
		switch {
		case c >= '0' && c <= '9':
			if f.value < maxContentLength {
				f.value = f.value*10 + int64(c-'0')
			}
			f.phase = phaseDigits
		case f.phase == phaseValue && isSpace(c):
		case f.phase == phaseDigits:
			f.length = f.value // trailing text after the number
			f.phase = phaseOther
		default:
			f.phase = phaseOther
		}
	}
}

func (f *framer) endLine() {
	if f.lineLen == 0 && !f.startLine {
		// The blank line: the body follows.
		if f.length > 0 {
			f.state, f.remaining = inBody, f.length
		} else {
			f.state = betweenMessages
		}
		return
	}
	f.folded = phaseOther
	switch f.phase {
	case phaseDigits:
		f.length = f.value // the last Content-Length wins, as in sipgo
	case phaseColon, phaseValue:
		f.folded = f.phase // the value may come on a folded line
	}
	f.afterStart, f.startLine = f.startLine, false
	f.newLine()
}

// isSpace is ASCII white space as bytes.TrimSpace, with which sipgo trims
// header names and values, sees it (a CR only ever ends a line here).
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f'
}
