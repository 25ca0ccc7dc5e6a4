package sip

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"pbx/media"
)

// forDialing returns the trunk to send an outbound call through: the one
// with id, or when id is 0 the first enabled trunk. Unlike Get it keeps the
// password, which the carrier's challenge needs.
func (t *Trunks) forDialing(ctx context.Context, id uint) (Trunk, error) {
	var tr Trunk
	q := t.db.WithContext(ctx).Where("enabled = ?", true)
	if id != 0 {
		q = q.Where("id = ?", id)
	}
	if err := q.Order("id").Take(&tr).Error; err != nil {
		return tr, fmt.Errorf("no trunk to dial out: %w", ErrUnavailable)
	}
	return tr, nil
}

// formatNumber writes an E.164 number as the trunk wants it.
func formatNumber(e164, format string) string {
	digits := strings.TrimPrefix(e164, "+")
	switch format {
	case "digits":
		return digits
	case "national":
		if strings.HasPrefix(digits, "1") && len(digits) == 11 {
			return digits[1:] // NANP; other plans keep their digits
		}
		return digits
	}
	return "+" + digits
}

// DialOut places the call to the number to (E.164) through a carrier trunk
// (trunkID, or the first enabled one when 0), showing callerID, answering
// the carrier's digest challenge, and bridges it when answered. It returns
// the trunk it chose (0 when there was none to choose) and ErrBusy,
// ErrNoAnswer or ErrUnavailable (no trunk, or the carrier refused) when the
// call was not answered.
func (c *Call) DialOut(ctx context.Context, trunkID uint, to, callerID string, timeout time.Duration) (uint, error) {
	tr, err := c.s.trunks.forDialing(ctx, trunkID)
	if err != nil {
		return 0, err
	}
	return tr.ID, c.dialTrunk(ctx, tr, to, callerID, timeout)
}

func (c *Call) dialTrunk(ctx context.Context, tr Trunk, to, callerID string, timeout time.Duration) error {
	if !c.takeTrunk(tr.ID) {
		c.s.metrics.limited.WithLabelValues(limitTrunk).Inc()
		c.log.Warn("call over a limit", "limit", limitTrunk, "trunk", tr.Name)
		return fmt.Errorf("trunk %s: %w", tr.Name, ErrUnavailable)
	}
	b, err := c.openMedia()
	if err != nil {
		return err
	}
	offer, err := media.Rewrite(c.offer, c.s.local(b, nil))
	if err != nil {
		return err
	}
	uri := sip.Uri{Scheme: "sip", User: formatNumber(to, tr.CallerIDFormat), Host: tr.Host, Port: tr.Port}
	if tr.Transport == "tcp" {
		uri.UriParams = sip.HeaderParams{{K: "transport", V: "tcp"}}
	}
	req := sip.NewRequest(sip.INVITE, uri)
	shown := formatNumber(callerID, tr.CallerIDFormat)
	req.AppendHeader(&sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: shown, Host: c.s.contact.Address.Host},
		Params: sip.HeaderParams{{K: "tag", V: sip.GenerateTagN(16)}}})
	req.AppendHeader(&sip.ToHeader{Address: uri})
	req.AppendHeader(sip.NewHeader("P-Asserted-Identity", "<sip:"+shown+"@"+c.s.contact.Address.Host+">"))
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody(offer.Marshal())

	ring, stop := context.WithTimeout(ctx, timeout)
	defer stop()
	d, err := c.s.agents.WriteInvite(ring, req)
	if err != nil {
		return fmt.Errorf("invite %s via %s: %w", to, tr.Name, err)
	}
	err = d.WaitAnswer(ring, sipgo.AnswerOptions{Username: tr.Username, Password: tr.Password,
		OnResponse: func(res *sip.Response) error {
			if res.StatusCode == 180 || res.StatusCode == 183 {
				c.Ring()
			}
			return nil
		}})
	if err != nil {
		d.Close()
		var de *sipgo.ErrDialogResponse
		switch {
		case ctx.Err() != nil:
			return context.Cause(ctx)
		case errors.As(err, &de) && (de.Res.StatusCode == 486 || de.Res.StatusCode == 600):
			return ErrBusy
		case ring.Err() != nil:
			return ErrNoAnswer
		}
		c.log.Info("carrier refused the call", "trunk", tr.Name, "error", err)
		return ErrUnavailable
	}
	return c.bridge(ctx, d, 0)
}
