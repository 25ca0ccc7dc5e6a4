package routing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"

	"pbx/invalid"
	"pbx/ivr"
)

// Flow is a stored call flow: the draft an administrator edits and the
// version last published from it, which is the only one calls run.
//
// Which numbers a flow answers is kept on the numbers (Number.FlowID).
// The draft's numbers list is applied when the flow is published; linking a
// number to a flow through the numbers API lists it in the flow's draft as
// well, so that the next publish keeps it. Numbers and Published.Numbers
// always show the numbers linked now.
type Flow struct {
	ID               uint       `gorm:"primaryKey" json:"id"`
	Name             string     `gorm:"size:100;not null;index" json:"name"` // the draft's name
	Description      string     `gorm:"size:500;not null;default:''" json:"description"`
	Enabled          bool       `gorm:"not null;default:true" json:"enabled"`
	Draft            Document   `gorm:"type:text;serializer:json;not null" json:"draft"`
	Published        *Document  `gorm:"type:text;serializer:json" json:"published"`
	PublishedVersion int        `gorm:"not null;default:0" json:"published_version"` // 0: never published
	PublishedAt      *time.Time `json:"published_at"`
	CreatedAt        time.Time  `json:"created_at"`
	UpdatedAt        time.Time  `json:"updated_at"`

	// Numbers are the numbers linked to the flow, read from Number.
	Numbers []string `gorm:"-" json:"numbers"`
	// UnpublishedChanges tells whether the draft differs from the published version.
	UnpublishedChanges bool `gorm:"-" json:"unpublished_changes"`
}

// FlowVersion is one published version of a flow, kept as history.
type FlowVersion struct {
	ID          uint      `gorm:"primaryKey" json:"-"`
	FlowID      uint      `gorm:"not null;uniqueIndex:idx_flow_version" json:"flow_id"`
	Version     int       `gorm:"not null;uniqueIndex:idx_flow_version" json:"version"`
	Document    Document  `gorm:"type:text;serializer:json;not null" json:"document"`
	PublishedAt time.Time `gorm:"not null" json:"published_at"`
}

// PublishedFlow is what the call engine runs for a call to a number.
type PublishedFlow struct {
	FlowID     uint
	Version    int
	Document   Document
	NumberType string // of the number called: local, mobile or toll_free
}

// ListFlows returns every flow ordered by name.
func (d *Directory) ListFlows(ctx context.Context) ([]Flow, error) {
	flows := []Flow{}
	if err := d.db.WithContext(ctx).Order("name, id").Find(&flows).Error; err != nil {
		return nil, fmt.Errorf("list flows: %w", err)
	}
	return flows, fillFlowNumbers(ctx, d.db, flows)
}

// Flow returns the flow with id, or ErrNotFound.
func (d *Directory) Flow(ctx context.Context, id uint) (Flow, error) {
	f, err := flow(ctx, d.db, id)
	if err != nil {
		return f, err
	}
	flows := []Flow{f}
	if err := fillFlowNumbers(ctx, d.db, flows); err != nil {
		return Flow{}, err
	}
	return flows[0], nil
}

func flow(ctx context.Context, tx *gorm.DB, id uint) (Flow, error) {
	var f Flow
	err := tx.WithContext(ctx).First(&f, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return f, fmt.Errorf("flow %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return f, fmt.Errorf("flow %d: %w", id, err)
	}
	return f, nil
}

// CreateFlow stores doc as the draft of a new, enabled, unpublished flow.
// The draft must be well-formed (ValidateDraft) and its name unused.
func (d *Directory) CreateFlow(ctx context.Context, doc Document) (Flow, error) {
	defer d.forgetFlows()
	f := Flow{Enabled: true}
	err := d.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := setDraft(ctx, tx, &f, doc); err != nil {
			return err
		}
		return tx.Create(&f).Error
	})
	if err != nil {
		return Flow{}, err
	}
	return d.Flow(ctx, f.ID)
}

// SaveFlowDraft replaces the draft of flow id with doc. The published
// version, and the calls that run it, are not affected.
func (d *Directory) SaveFlowDraft(ctx context.Context, id uint, doc Document) (Flow, error) {
	return d.EditFlowDraft(ctx, id, func(Document) (Document, error) { return doc, nil })
}

// EditFlowDraft replaces the draft of flow id with what edit makes of it,
// in one transaction, so that two edits at once cannot lose one. An error
// from edit is returned as it is and nothing changes.
func (d *Directory) EditFlowDraft(ctx context.Context, id uint, edit func(Document) (Document, error)) (Flow, error) {
	defer d.forgetFlows()
	err := d.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		f, err := flow(ctx, tx, id)
		if err != nil {
			return err
		}
		doc, err := edit(f.Draft.withDefaults())
		if err != nil {
			return err
		}
		if err := setDraft(ctx, tx, &f, doc); err != nil {
			return err
		}
		return tx.Model(&f).Select("name", "description", "draft", "updated_at").Updates(&f).Error
	})
	if err != nil {
		return Flow{}, err
	}
	return d.Flow(ctx, id)
}

func setDraft(ctx context.Context, tx *gorm.DB, f *Flow, doc Document) error {
	v := validateFlow(doc, false)
	if len(v.Fields) == 0 {
		var n int64
		if err := tx.WithContext(ctx).Model(&Flow{}).Where("name = ? AND id <> ?", doc.Name, f.ID).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			v.Add("name", fmt.Sprintf("a flow named %q already exists", doc.Name))
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	f.Draft = doc.withDefaults()
	f.Name = doc.Name
	f.Description = doc.Description
	return nil
}

// PublishFlow checks the draft of flow id in full (ValidateFlow, and that
// the users, groups and numbers it names exist) and makes it the published
// version, one above the last. The draft's numbers are linked to the flow
// and the flow's other numbers unlinked. On any violation nothing changes.
func (d *Directory) PublishFlow(ctx context.Context, id uint) (Flow, error) {
	defer d.forgetFlows()
	err := d.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		f, err := flow(ctx, tx, id)
		if err != nil {
			return err
		}
		doc := f.Draft.withDefaults()
		v := validateFlow(doc, true)
		if err := checkFlowRefs(ctx, tx, f.ID, doc, v); err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		if err := linkNumbers(ctx, tx, f.ID, doc.Numbers); err != nil {
			return err
		}
		now := d.now().UTC()
		f.PublishedVersion++
		f.Published = &doc
		f.PublishedAt = &now
		if err := tx.Create(&FlowVersion{FlowID: f.ID, Version: f.PublishedVersion, Document: doc, PublishedAt: now}).Error; err != nil {
			return fmt.Errorf("publish flow %d: %w", id, err)
		}
		return tx.Model(&f).Select("published", "published_version", "published_at", "updated_at").Updates(&f).Error
	})
	if err != nil {
		return Flow{}, err
	}
	return d.Flow(ctx, id)
}

// SetFlowEnabled turns flow id on or off. Calls to the numbers of a
// disabled flow are rejected.
func (d *Directory) SetFlowEnabled(ctx context.Context, id uint, enabled bool) (Flow, error) {
	defer d.forgetFlows()
	res := d.db.WithContext(ctx).Model(&Flow{}).Where("id = ?", id).Update("enabled", enabled)
	if res.Error != nil {
		return Flow{}, fmt.Errorf("enable flow %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return Flow{}, fmt.Errorf("flow %d: %w", id, ErrNotFound)
	}
	return d.Flow(ctx, id)
}

// DeleteFlow removes flow id and its history, and unlinks its numbers.
func (d *Directory) DeleteFlow(ctx context.Context, id uint) error {
	defer d.forgetFlows()
	return d.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Delete(&Flow{}, id)
		if res.Error != nil {
			return fmt.Errorf("delete flow %d: %w", id, res.Error)
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("flow %d: %w", id, ErrNotFound)
		}
		if err := tx.Where("flow_id = ?", id).Delete(&FlowVersion{}).Error; err != nil {
			return err
		}
		return tx.Model(&Number{}).Where("flow_id = ?", id).Update("flow_id", nil).Error
	})
}

// FlowVersions returns the published versions of flow id, newest first.
func (d *Directory) FlowVersions(ctx context.Context, id uint) ([]FlowVersion, error) {
	if _, err := flow(ctx, d.db, id); err != nil {
		return nil, err
	}
	versions := []FlowVersion{}
	if err := d.db.WithContext(ctx).Where("flow_id = ?", id).Order("version DESC").Find(&versions).Error; err != nil {
		return nil, fmt.Errorf("flow %d versions: %w", id, err)
	}
	return versions, nil
}

// PublishedFlowForNumber returns the published flow that answers calls to
// e164. The errors say why there is none: ErrNoSuchNumber, ErrNoFlow,
// ErrFlowDisabled or ErrFlowNotPublished.
//
// Answers are cached (calls to one number read its flow once, not once per
// call); the Document is shared, so the caller must not change it.
func (d *Directory) PublishedFlowForNumber(ctx context.Context, e164 string) (PublishedFlow, error) {
	if a, ok := d.published.get(e164); ok {
		return a.flow, a.err
	}
	gen := d.published.generation()
	pf, err := d.publishedFlowForNumber(ctx, e164)
	if err == nil || errors.Is(err, ErrNoSuchNumber) || errors.Is(err, ErrNoFlow) ||
		errors.Is(err, ErrFlowDisabled) || errors.Is(err, ErrFlowNotPublished) {
		// Answers, not failures: a database error is asked again.
		d.published.putIf(gen, e164, publishedAnswer{pf, err})
	}
	return pf, err
}

// publishedAnswer is a cached PublishedFlowForNumber answer.
type publishedAnswer struct {
	flow PublishedFlow
	err  error
}

// forgetFlows drops the cached flows of numbers after a flow or number change.
func (d *Directory) forgetFlows() {
	d.published.clear()
	d.announce()
}

func (d *Directory) publishedFlowForNumber(ctx context.Context, e164 string) (PublishedFlow, error) {
	var n Number
	err := d.db.WithContext(ctx).Where("e164 = ?", e164).Take(&n).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return PublishedFlow{}, fmt.Errorf("number %s: %w", e164, ErrNoSuchNumber)
	}
	if err != nil {
		return PublishedFlow{}, fmt.Errorf("number %s: %w", e164, err)
	}
	if n.FlowID == nil {
		return PublishedFlow{}, fmt.Errorf("number %s: %w", e164, ErrNoFlow)
	}
	f, err := d.Flow(ctx, *n.FlowID)
	if errors.Is(err, ErrNotFound) {
		return PublishedFlow{}, fmt.Errorf("number %s: %w", e164, ErrNoFlow)
	}
	switch {
	case err != nil:
		return PublishedFlow{}, fmt.Errorf("number %s: %w", e164, err)
	case !f.Enabled:
		return PublishedFlow{}, fmt.Errorf("number %s, flow %d: %w", e164, f.ID, ErrFlowDisabled)
	case f.Published == nil:
		return PublishedFlow{}, fmt.Errorf("number %s, flow %d: %w", e164, f.ID, ErrFlowNotPublished)
	}
	return PublishedFlow{FlowID: f.ID, Version: f.PublishedVersion, Document: *f.Published, NumberType: n.Type}, nil
}

// checkFlowRefs adds to v every user, group, number and uploaded media file
// that doc names and that does not exist, and every number another flow
// answers.
func checkFlowRefs(ctx context.Context, tx *gorm.DB, flowID uint, doc Document, v *invalid.Error) error {
	refs := []struct {
		field string
		model any
		id    func(State) uint
		what  string
	}{
		{"user_id", &User{}, func(s State) uint { return s.UserID }, "user"},
		{"group_id", &Group{}, func(s State) uint { return s.GroupID }, "group"},
	}
	for _, r := range refs {
		var ids []uint
		for _, s := range doc.States {
			if id := r.id(s); id != 0 {
				ids = append(ids, id)
			}
		}
		if len(ids) == 0 {
			continue
		}
		var found []uint
		if err := tx.WithContext(ctx).Model(r.model).Where("id IN ?", ids).Pluck("id", &found).Error; err != nil {
			return err
		}
		for i, s := range doc.States {
			if id := r.id(s); id != 0 && !slices.Contains(found, id) {
				v.Add(fmt.Sprintf("states[%d].%s", i, r.field), fmt.Sprintf("%s %d does not exist", r.what, id))
			}
		}
	}
	if err := checkFileRefs(ctx, tx, doc, v); err != nil {
		return err
	}
	if len(doc.Numbers) == 0 || len(doc.Numbers) > MaxFlowNumbers {
		return nil
	}
	var numbers []Number
	if err := tx.WithContext(ctx).Where("e164 IN ?", doc.Numbers).Find(&numbers).Error; err != nil {
		return err
	}
	for i, e164 := range doc.Numbers {
		k := slices.IndexFunc(numbers, func(n Number) bool { return n.E164 == e164 })
		switch {
		case !e164Re.MatchString(e164):
			// already refused
		case k < 0:
			v.Add(fmt.Sprintf("numbers[%d]", i), fmt.Sprintf("%s is not one of the numbers; add it under numbers first", e164))
		case numbers[k].FlowID != nil && *numbers[k].FlowID != flowID:
			other, err := flow(ctx, tx, *numbers[k].FlowID)
			if err != nil {
				return err
			}
			v.Add(fmt.Sprintf("numbers[%d]", i), fmt.Sprintf("%s already answers to flow %q (id %d); unlink it there first", e164, other.Name, other.ID))
		}
	}
	return nil
}

// linkNumbers makes e164s exactly the numbers linked to flowID.
func linkNumbers(ctx context.Context, tx *gorm.DB, flowID uint, e164s []string) error {
	unlink := tx.WithContext(ctx).Model(&Number{}).Where("flow_id = ?", flowID)
	if len(e164s) > 0 {
		unlink = unlink.Where("e164 NOT IN ?", e164s)
	}
	if err := unlink.Update("flow_id", nil).Error; err != nil {
		return fmt.Errorf("unlink numbers of flow %d: %w", flowID, err)
	}
	if len(e164s) == 0 {
		return nil
	}
	if err := tx.WithContext(ctx).Model(&Number{}).Where("e164 IN ?", e164s).Update("flow_id", flowID).Error; err != nil {
		return fmt.Errorf("link numbers to flow %d: %w", flowID, err)
	}
	return nil
}

// relinkDrafts keeps flow drafts listing the numbers linked to them after a
// number changed from was to is (a zero Number: created or deleted).
func relinkDrafts(ctx context.Context, tx *gorm.DB, was, is Number) error {
	if was.FlowID != nil && (is.FlowID == nil || *is.FlowID != *was.FlowID || is.E164 != was.E164) {
		if err := editDraftNumbers(ctx, tx, *was.FlowID, func(ns []string) []string {
			return slices.DeleteFunc(ns, func(n string) bool { return n == was.E164 })
		}); err != nil {
			return err
		}
	}
	if is.FlowID != nil {
		return editDraftNumbers(ctx, tx, *is.FlowID, func(ns []string) []string {
			if slices.Contains(ns, is.E164) {
				return ns
			}
			return append(ns, is.E164)
		})
	}
	return nil
}

func editDraftNumbers(ctx context.Context, tx *gorm.DB, flowID uint, edit func([]string) []string) error {
	f, err := flow(ctx, tx, flowID)
	if err != nil {
		return err
	}
	before := slices.Clone(f.Draft.Numbers)
	f.Draft.Numbers = edit(slices.Clone(f.Draft.Numbers))
	if f.Draft.Numbers == nil {
		f.Draft.Numbers = []string{}
	}
	if slices.Equal(before, f.Draft.Numbers) {
		return nil
	}
	return tx.Model(&f).Select("draft", "updated_at").Updates(&f).Error
}

// fillFlowNumbers sets the numbers linked to each flow, in Numbers and in
// the published document, and whether the draft has changes to publish.
func fillFlowNumbers(ctx context.Context, tx *gorm.DB, flows []Flow) error {
	if len(flows) == 0 {
		return nil
	}
	ids := make([]uint, len(flows))
	for i, f := range flows {
		ids[i] = f.ID
	}
	var rows []Number
	if err := tx.WithContext(ctx).Select("e164", "flow_id").Where("flow_id IN ?", ids).Order("e164").Find(&rows).Error; err != nil {
		return fmt.Errorf("read flow numbers: %w", err)
	}
	byFlow := make(map[uint][]string, len(flows))
	for _, r := range rows {
		byFlow[*r.FlowID] = append(byFlow[*r.FlowID], r.E164)
	}
	for i := range flows {
		f := &flows[i]
		f.Numbers = byFlow[f.ID]
		if f.Numbers == nil {
			f.Numbers = []string{}
		}
		f.Draft = f.Draft.withDefaults()
		if f.Published != nil {
			p := f.Published.withDefaults()
			p.Numbers = f.Numbers
			f.Published = &p
		}
		f.UnpublishedChanges = f.Published == nil || !sameDocument(f.Draft, *f.Published)
	}
	return nil
}

// sameDocument tells whether a and b run the same, ignoring the order of
// their numbers and where the builder draws their states.
func sameDocument(a, b Document) bool {
	a.Numbers = slices.Sorted(slices.Values(a.Numbers))
	b.Numbers = slices.Sorted(slices.Values(b.Numbers))
	a.States, b.States = withoutPositions(a.States), withoutPositions(b.States)
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && string(ja) == string(jb)
}

func withoutPositions(states []State) []State {
	out := slices.Clone(states)
	for i := range out {
		out[i].Position = nil
	}
	return out
}

// checkFileRefs adds to v every prompt of doc that plays an uploaded media
// file that does not exist.
func checkFileRefs(ctx context.Context, tx *gorm.DB, doc Document, v *invalid.Error) error {
	var ids []uint
	for _, s := range doc.States {
		for _, p := range s.prompts() {
			if p.FileID != 0 {
				ids = append(ids, p.FileID)
			}
		}
	}
	if len(ids) == 0 {
		return nil
	}
	var found []uint
	if err := tx.WithContext(ctx).Model(&ivr.File{}).Where("id IN ?", ids).Pluck("id", &found).Error; err != nil {
		return err
	}
	for i, s := range doc.States {
		for _, p := range s.prompts() {
			if p.FileID != 0 && !slices.Contains(found, p.FileID) {
				v.Add(fmt.Sprintf("states[%d].%s.file_id", i, p.at), fmt.Sprintf("media file %d does not exist; upload it under media first", p.FileID))
			}
		}
	}
	return nil
}
