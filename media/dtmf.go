package media

import "encoding/binary"

// DTMF turns RFC 4733 telephone-event packets into key presses. A phone
// sends several packets per press, all with the timestamp of the press's
// start, growing durations and usually three copies of the last one; a new
// press, even of the same key, has a new timestamp. DTMF reports a press on
// the first of its packets to arrive, so an IVR answers without waiting
// for the key to be released, and ignores the rest.
//
// The zero value is ready to use. A DTMF is for one stream and one
// goroutine.
type DTMF struct {
	seen  bool
	ts    uint32 // of the last event
	event uint8
	ended bool   // the last event's end packet arrived
	dur   uint16 // the last event's longest duration
}

// Feed takes one telephone-event packet's RTP timestamp and payload and
// returns the key it starts: '0'-'9', '*', '#' or 'A'-'D'. ok is false for
// a packet of a press already reported, an event that is not a key (a
// flash, a fax tone) or a payload too short to be an event.
func (d *DTMF) Feed(ts uint32, payload []byte) (key rune, ok bool) {
	if len(payload) < 4 {
		return 0, false
	}
	event, end, dur := payload[0], payload[1]&0x80 != 0, binary.BigEndian.Uint16(payload[2:4])
	if d.seen && ts == d.ts && event == d.event {
		d.ended = d.ended || end
		d.dur = max(d.dur, dur)
		return 0, false
	}
	// A press longer than the duration field holds (8 s at 8 kHz) goes on
	// in a new segment with a new timestamp (RFC 4733 section 2.5.1.3).
	segment := d.seen && event == d.event && !d.ended && d.dur == 0xffff && ts-d.ts <= 0x10000+Rate
	d.seen, d.ts, d.event, d.ended, d.dur = true, ts, event, end, dur
	if segment {
		return 0, false
	}
	switch {
	case event <= 9:
		return rune('0' + event), true
	case event == 10:
		return '*', true
	case event == 11:
		return '#', true
	case event <= 15:
		return rune('A' + event - 12), true
	}
	return 0, false
}
