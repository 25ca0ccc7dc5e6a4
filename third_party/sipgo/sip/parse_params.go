package sip

import (
	"strings"
	"unicode"
)

const (
	paramsStateNone = iota
	paramsStateKey
	paramsStateEqual
	paramsStateValue
	paramsStateQuote
	paramsStateQuoted
)

// addParam adds a parameter without the linear white space RFC 3261 allows
// around its "=" and separators (SEMI, EQUAL: SWS "=" SWS, section 25.1),
// so that "tag = 1918" (RFC 4475 3.1.1.1) is the parameter tag.
func addParam(p *HeaderParams, k, v string) {
	p.Add(strings.Trim(k, " \t"), strings.Trim(v, " \t"))
}

func UnmarshalHeaderParams(s string, seperator rune, ending rune, p *HeaderParams) (n int, err error) {
	var start, sep, quote int = 0, 0, -1
	state := paramsStateKey

	s = strings.TrimLeftFunc(s, unicode.IsSpace) // Remove trailing spaces
	if *p == nil {
		// Size the list once: appending grew it a step per parameter.
		end := strings.IndexRune(s, ending)
		if end < 0 {
			end = len(s)
		}
		if end > 0 {
			*p = make(HeaderParams, 0, strings.Count(s[:end], string(seperator))+1)
		}
	}
	n = len(s)
	for i, c := range s {
		if c == ending {
			n = i
			break
		}

		switch state {
		case paramsStateKey:
			sep = 0
			start = i
			state = paramsStateEqual

		case paramsStateEqual:
			if c == seperator {
				// Add support for empty values
				addParam(p, s[start:i], "")
				state = paramsStateKey
				continue
			}

			if c != '=' {
				continue
			}

			sep = i
			state = paramsStateValue

		case paramsStateValue:
			switch c {
			case '"':
				state = paramsStateQuote
				quote = i
			case seperator:
				addParam(p, s[start:sep], s[sep+1:i])
				start = sep + 1
				state = paramsStateKey
			}
		case paramsStateQuote:
			if c != '"' {
				//End quoute
				continue
			}
			// A quoted value is taken as it is, spaces included.
			p.Add(strings.Trim(s[start:sep], " \t"), s[quote+1:i])
			state = paramsStateQuoted
		case paramsStateQuoted:
			if c == seperator {
				state = paramsStateKey
			}
		}
	}

	// Do the last one
	if state != paramsStateQuoted && sep > 0 && n >= 0 && (start < sep) {
		addParam(p, s[start:sep], s[sep+1:n])
	}
	// No seperator
	if sep == 0 && start < n && n >= 0 {
		addParam(p, s[start:n], "")
	}

	return n, nil
}
