package routing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"pbx/invalid"
)

// Number types. Each needs different details (see applyNumber): a local
// number a region, a mobile number the subscriber's address (regulators ask
// for one), a toll-free number neither.
const (
	NumberLocal    = "local"
	NumberMobile   = "mobile"
	NumberTollFree = "toll_free"
)

// Number is a phone number of the PBX, reached through a carrier trunk. A
// call to it runs the published version of the flow it is linked to; a
// number's FlowID is the one record of which flow answers it.
type Number struct {
	ID        uint      `gorm:"primaryKey" json:"id"`
	E164      string    `gorm:"column:e164;size:16;not null;uniqueIndex" json:"e164"`
	Type      string    `gorm:"size:16;not null;index" json:"type"`
	Country   string    `gorm:"size:2;not null" json:"country"`
	Region    string    `gorm:"size:100;not null;default:''" json:"region"`
	Address   string    `gorm:"size:500;not null;default:''" json:"address"`
	TrunkID   *uint     `json:"trunk_id"` // the sip package's trunk; no foreign key across packages
	FlowID    *uint     `gorm:"index" json:"flow_id"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// NumberInput is what a client sends to add or change a number. A field left
// out is left as it is on update; trunk_id and flow_id may be sent as null to
// clear them.
type NumberInput struct {
	E164    *string `json:"e164"`
	Type    *string `json:"type"`
	Country *string `json:"country"`
	Region  *string `json:"region"`
	Address *string `json:"address"`
	TrunkID Link    `json:"trunk_id"`
	FlowID  Link    `json:"flow_id"`
}

// Link is an optional reference in an update, where JSON null (clear it)
// differs from leaving the field out (keep it).
type Link struct {
	Set bool  // the field was sent
	ID  *uint // nil: cleared
}

// UnmarshalJSON reads null or an id.
func (l *Link) UnmarshalJSON(b []byte) error {
	l.Set = true
	if string(b) == "null" {
		l.ID = nil
		return nil
	}
	var id uint
	if err := json.Unmarshal(b, &id); err != nil {
		return err
	}
	l.ID = &id
	return nil
}

// NumberFilter narrows ListNumbers.
type NumberFilter struct {
	FlowID uint   // 0: any
	NoFlow bool   // only numbers linked to no flow
	Type   string // "": any
}

var countryRe = regexp.MustCompile(`^[A-Z]{2}$`)

// iso3166 holds the ISO 3166-1 alpha-2 country codes.
const iso3166 = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ " +
	"CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR " +
	"GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP " +
	"KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ " +
	"NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW " +
	"SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ " +
	"UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW"

func isCountry(code string) bool {
	return countryRe.MatchString(code) && strings.Contains(iso3166, code)
}

// ListNumbers returns numbers ordered by E.164.
func (d *Directory) ListNumbers(ctx context.Context, f NumberFilter) ([]Number, error) {
	q := d.db.WithContext(ctx).Order("e164")
	switch {
	case f.NoFlow:
		q = q.Where("flow_id IS NULL")
	case f.FlowID != 0:
		q = q.Where("flow_id = ?", f.FlowID)
	}
	if f.Type != "" {
		if !isNumberType(f.Type) {
			return nil, invalid.New("type", "must be local, mobile or toll_free")
		}
		q = q.Where("type = ?", f.Type)
	}
	numbers := []Number{}
	if err := q.Find(&numbers).Error; err != nil {
		return nil, fmt.Errorf("list numbers: %w", err)
	}
	return numbers, nil
}

// Number returns the number with id, or ErrNotFound.
func (d *Directory) Number(ctx context.Context, id uint) (Number, error) {
	return number(ctx, d.db, id)
}

func number(ctx context.Context, tx *gorm.DB, id uint) (Number, error) {
	var n Number
	err := tx.WithContext(ctx).First(&n, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return n, fmt.Errorf("number %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return n, fmt.Errorf("number %d: %w", id, err)
	}
	return n, nil
}

// CreateNumber validates in and stores a new number. Linking it to a flow
// also lists it in that flow's draft.
func (d *Directory) CreateNumber(ctx context.Context, in NumberInput) (Number, error) {
	defer d.forgetFlows()
	var n Number
	err := d.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := d.applyNumber(ctx, tx, &n, in, true); err != nil {
			return err
		}
		if err := tx.Create(&n).Error; err != nil {
			return uniqueNumberError(err)
		}
		return relinkDrafts(ctx, tx, Number{}, n)
	})
	if err != nil {
		return Number{}, err
	}
	return d.Number(ctx, n.ID)
}

// UpdateNumber changes the fields in sets. Moving the number to another
// flow, or off one, updates those flows' drafts to match.
func (d *Directory) UpdateNumber(ctx context.Context, id uint, in NumberInput) (Number, error) {
	defer d.forgetFlows()
	err := d.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		n, err := number(ctx, tx, id)
		if err != nil {
			return err
		}
		was := n
		if err := d.applyNumber(ctx, tx, &n, in, false); err != nil {
			return err
		}
		if err := tx.Select("*").Omit("created_at").Save(&n).Error; err != nil {
			return uniqueNumberError(err)
		}
		return relinkDrafts(ctx, tx, was, n)
	})
	if err != nil {
		return Number{}, err
	}
	return d.Number(ctx, id)
}

// DeleteNumber removes the number and takes it off its flow's draft.
func (d *Directory) DeleteNumber(ctx context.Context, id uint) error {
	defer d.forgetFlows()
	return d.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		n, err := number(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := tx.Delete(&Number{}, id).Error; err != nil {
			return fmt.Errorf("delete number %d: %w", id, err)
		}
		if err := dropCallerID(ctx, tx, n.E164); err != nil {
			return err
		}
		return relinkDrafts(ctx, tx, n, Number{})
	})
}

func isNumberType(t string) bool {
	return t == NumberLocal || t == NumberMobile || t == NumberTollFree
}

func (d *Directory) applyNumber(ctx context.Context, tx *gorm.DB, n *Number, in NumberInput, create bool) error {
	var v invalid.Error
	required := func(field string, present bool) bool {
		if !present && create {
			v.Add(field, "is required")
		}
		return present
	}
	if required("e164", in.E164 != nil) {
		n.E164 = strings.TrimSpace(*in.E164)
		if !e164Re.MatchString(n.E164) {
			v.Add("e164", fmt.Sprintf("%q is not an E.164 number such as +15550001111", n.E164))
		}
	}
	if required("type", in.Type != nil) {
		n.Type = *in.Type
		if !isNumberType(n.Type) {
			v.Add("type", "must be local, mobile or toll_free")
		}
	}
	if required("country", in.Country != nil) {
		n.Country = *in.Country
		if !isCountry(n.Country) {
			v.Add("country", "must be an ISO 3166 two-letter country code in capitals, such as US or DE")
		}
	}
	if (in.E164 != nil || in.Country != nil) && e164Re.MatchString(n.E164) && isCountry(n.Country) {
		code, countries := numberCountries(n.E164)
		switch {
		case code == "":
			v.Add("e164", fmt.Sprintf("%s begins with no country's calling code", n.E164))
		case !slices.Contains(countries, n.Country):
			v.Add("country", fmt.Sprintf("%s is a number of %s (+%s), not %s", n.E164, strings.Join(countries, " or "), code, n.Country))
		}
	}
	if in.Region != nil {
		n.Region = strings.TrimSpace(*in.Region)
		if n.Region != "" {
			if msg := checkName(n.Region, 100); msg != "" {
				v.Add("region", msg)
			}
		}
	}
	if in.Address != nil {
		n.Address = strings.TrimSpace(*in.Address)
		if len([]rune(n.Address)) > 500 {
			v.Add("address", "must be at most 500 characters")
		}
	}
	// What a type needs is checked on the result, so that changing the type
	// of a stored number asks for the detail the new type needs.
	switch {
	case n.Type == NumberLocal && n.Region == "":
		v.Add("region", "is required for a local number")
	case n.Type == NumberMobile && n.Address == "":
		v.Add("address", "is required for a mobile number")
	}
	if in.TrunkID.Set {
		n.TrunkID = in.TrunkID.ID
		switch {
		case n.TrunkID == nil:
		case *n.TrunkID == 0:
			v.Add("trunk_id", "must be a trunk's id or null")
		case d.trunkExists == nil:
			v.Add("trunk_id", fmt.Sprintf("trunk %d does not exist", *n.TrunkID))
		default:
			ok, err := d.trunkExists(tx.WithContext(ctx), *n.TrunkID)
			if err != nil {
				return err
			}
			if !ok {
				v.Add("trunk_id", fmt.Sprintf("trunk %d does not exist", *n.TrunkID))
			}
		}
	}
	if in.FlowID.Set {
		n.FlowID = in.FlowID.ID
		if n.FlowID != nil {
			var count int64
			if err := tx.WithContext(ctx).Model(&Flow{}).Where("id = ?", *n.FlowID).Count(&count).Error; err != nil {
				return err
			}
			if count == 0 {
				v.Add("flow_id", fmt.Sprintf("flow %d does not exist", *n.FlowID))
			}
		}
	}
	if len(v.Fields) == 0 {
		var count int64
		if err := tx.WithContext(ctx).Model(&Number{}).Where("e164 = ? AND id <> ?", n.E164, n.ID).Count(&count).Error; err != nil {
			return err
		}
		if count > 0 {
			v.Add("e164", fmt.Sprintf("%s is already one of the numbers", n.E164))
		}
	}
	return v.Err()
}

func uniqueNumberError(err error) error {
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return invalid.New("e164", "this number already exists")
	}
	return fmt.Errorf("save number: %w", err)
}

// dropCallerID removes a number we no longer own from every user's caller
// IDs: a phone must not go on showing it.
func dropCallerID(ctx context.Context, tx *gorm.DB, e164 string) error {
	var users []User
	if err := tx.WithContext(ctx).Where("caller_ids LIKE ?", "%\""+e164+"\"%").Find(&users).Error; err != nil {
		return fmt.Errorf("users showing %s: %w", e164, err)
	}
	for _, u := range users {
		ids := slices.DeleteFunc(slices.Clone(u.CallerIDs), func(id string) bool { return id == e164 })
		// Through the struct, so the column's JSON serializer writes it.
		if err := tx.WithContext(ctx).Model(&u).Select("caller_ids").Updates(User{CallerIDs: ids}).Error; err != nil {
			return fmt.Errorf("user %d caller IDs: %w", u.ID, err)
		}
	}
	return nil
}
