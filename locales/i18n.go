// Package locales owns everything about languages: the message files (one
// TOML file per language, embedded in the binary), the supported languages
// and how Telegram's language codes map onto them, CLDR formatting of dates,
// times and money, right-to-left safety, and the glossary of administrative
// words residents type.
package locales

import (
	"embed"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

//go:embed *.toml
var files embed.FS

// Catalog holds every language's messages.
type Catalog struct {
	bundle *i18n.Bundle
	// ids lists every message id of the reference language (English), for
	// building menus and for the completeness test.
	ids []string
	// localizers holds one Localizer per supported tag, made when first
	// asked for: every update needs one, and they never change.
	localizers sync.Map // tag → *Localizer
}

// Load reads the embedded message files. A file that does not parse is a
// build mistake, so it fails start-up rather than showing broken text later.
func Load() (*Catalog, error) {
	b := i18n.NewBundle(language.MustParse(DefaultTag))
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	entries, err := files.ReadDir(".")
	if err != nil {
		return nil, fmt.Errorf("locales: %w", err)
	}
	var ids []string
	for _, e := range entries {
		mf, err := b.LoadMessageFileFS(files, e.Name())
		if err != nil {
			return nil, fmt.Errorf("locales: %s: %w", e.Name(), err)
		}
		if mf.Tag == language.English {
			for _, m := range mf.Messages {
				ids = append(ids, m.ID)
			}
		}
	}
	sort.Strings(ids)
	return &Catalog{bundle: b, ids: ids}, nil
}

// MessageIDs returns every message id, sorted.
func (c *Catalog) MessageIDs() []string { return c.ids }

// Localizer renders messages and formats values for one language.
type Localizer struct {
	Tag string
	// F formats dates, times, numbers and money the language's way.
	F *Formatter
	l *i18n.Localizer
	// fallback renders in the default language when a message is missing,
	// which the completeness test keeps from happening in a release.
	fallback *i18n.Localizer
}

// Localizer returns the localizer for a supported tag; anything else gets
// the default language (never a "close" neighbour: see Match). It is the
// same value for every call with a tag, shared by every goroutine: nothing
// may change it.
func (c *Catalog) Localizer(tag string) *Localizer {
	if _, ok := Lookup(tag); !ok {
		tag = DefaultTag
	}
	if l, ok := c.localizers.Load(tag); ok {
		return l.(*Localizer)
	}
	l, _ := c.localizers.LoadOrStore(tag, &Localizer{
		Tag:      tag,
		F:        NewFormatter(tag, nil),
		l:        i18n.NewLocalizer(c.bundle, tag),
		fallback: i18n.NewLocalizer(c.bundle, DefaultTag),
	})
	return l.(*Localizer)
}

// RTL reports whether the language is written right to left.
func (l *Localizer) RTL() bool { return IsRTL(l.Tag) }

// T renders message id with its variables given as name/value pairs:
// T("invite.created", "Name", p.DisplayName, "Room", p.Room). In a
// right-to-left language each value is isolated so that numbers, Latin
// names and amounts keep their order inside the sentence.
func (l *Localizer) T(id string, kv ...any) string {
	return l.render(&i18n.LocalizeConfig{MessageID: id, TemplateData: l.data(kv)})
}

// N renders a message with plural forms chosen by count (CLDR rules of the
// language); count is also available to the template as .Count.
func (l *Localizer) N(id string, count int, kv ...any) string {
	data := l.data(kv)
	data["Count"] = Arg(l.Tag, l.F.Number(int64(count)))
	return l.render(&i18n.LocalizeConfig{MessageID: id, PluralCount: count, TemplateData: data})
}

func (l *Localizer) data(kv []any) map[string]any {
	data := make(map[string]any, len(kv)/2+1)
	for i := 0; i+1 < len(kv); i += 2 {
		name, _ := kv[i].(string)
		data[name] = Arg(l.Tag, fmt.Sprint(kv[i+1]))
	}
	return data
}

func (l *Localizer) render(cfg *i18n.LocalizeConfig) string {
	cfg.TemplateParser = messageParser{}
	if s, err := l.l.Localize(cfg); err == nil && s != "" {
		return s
	}
	if s, err := l.fallback.Localize(cfg); err == nil && s != "" {
		return s
	}
	// A missing id is a programming mistake; show the id rather than nothing
	// so it is noticed, never a panic in front of a resident.
	return strings.TrimSpace(cfg.MessageID)
}
