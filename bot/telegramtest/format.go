package telegramtest

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-telegram/bot/models"
)

// formatText applies parse_mode (or the explicit entities JSON) the way
// Telegram does and returns the visible text and its entities.
func formatText(text, parseMode, entitiesJSON string) (string, []models.MessageEntity, *apiError) {
	var (
		plain string
		ents  []models.MessageEntity
		err   error
	)
	switch strings.ToLower(parseMode) {
	case "":
		plain = text
		if entitiesJSON != "" {
			if jerr := json.Unmarshal([]byte(entitiesJSON), &ents); jerr != nil {
				return "", nil, badRequest("can't parse entities JSON object")
			}
		}
		return plain, ents, nil
	case "html":
		plain, ents, err = parseHTML(text)
	case "markdownv2":
		plain, ents, err = parseMarkdownV2(text)
	case "markdown":
		plain, ents, err = parseMarkdown(text)
	default:
		return "", nil, badRequest("unsupported parse_mode")
	}
	if err != nil {
		return "", nil, badRequest("can't parse entities: " + err.Error())
	}
	sort.SliceStable(ents, func(i, j int) bool {
		if ents[i].Offset != ents[j].Offset {
			return ents[i].Offset < ents[j].Offset
		}
		return ents[i].Length > ents[j].Length
	})
	return plain, ents, nil
}

// textBuilder accumulates visible text and tracks its UTF-16 length.
type textBuilder struct {
	b   strings.Builder
	off int
}

func (t *textBuilder) rune(r rune) {
	t.b.WriteRune(r)
	t.off += utf16Len(r)
}

func (t *textBuilder) str(s string) {
	for _, r := range s {
		t.rune(r)
	}
}

// --- HTML ------------------------------------------------------------------

var htmlTags = map[string]models.MessageEntityType{
	"b": models.MessageEntityTypeBold, "strong": models.MessageEntityTypeBold,
	"i": models.MessageEntityTypeItalic, "em": models.MessageEntityTypeItalic,
	"u": models.MessageEntityTypeUnderline, "ins": models.MessageEntityTypeUnderline,
	"s": models.MessageEntityTypeStrikethrough, "strike": models.MessageEntityTypeStrikethrough, "del": models.MessageEntityTypeStrikethrough,
	"tg-spoiler": models.MessageEntityTypeSpoiler, "span": models.MessageEntityTypeSpoiler,
	"a":          models.MessageEntityTypeTextLink,
	"code":       models.MessageEntityTypeCode,
	"pre":        models.MessageEntityTypePre,
	"blockquote": models.MessageEntityTypeBlockquote,
	"tg-emoji":   models.MessageEntityTypeCustomEmoji,
}

type htmlOpen struct {
	name   string
	typ    models.MessageEntityType
	offset int
	url    string
	lang   string
	emoji  string
	skip   bool // <code> inside <pre>: folded into the pre entity
}

// parseHTML implements Telegram's HTML parse mode: supported tags only,
// properly nested, with &lt; &gt; &amp; &quot; and numeric entities.
func parseHTML(text string) (string, []models.MessageEntity, error) {
	var out textBuilder
	var stack []*htmlOpen
	var ents []models.MessageEntity
	for i := 0; i < len(text); {
		c := text[i]
		if c == '&' {
			if r, n := decodeHTMLEntity(text[i:]); n > 0 {
				out.rune(r)
				i += n
				continue
			}
			out.rune('&')
			i++
			continue
		}
		if c != '<' {
			r, n := utf8.DecodeRuneInString(text[i:])
			out.rune(r)
			i += n
			continue
		}
		begin := i
		i++
		if i < len(text) && text[i] == '/' { // end tag
			j := strings.IndexByte(text[i:], '>')
			if j < 0 {
				return "", nil, fmt.Errorf("Unclosed end tag at byte offset %d", begin)
			}
			name := strings.ToLower(strings.TrimSpace(text[i+1 : i+j]))
			i += j + 1
			if len(stack) == 0 {
				return "", nil, fmt.Errorf("Unexpected end tag at byte offset %d", begin)
			}
			top := stack[len(stack)-1]
			if name != "" && name != top.name {
				return "", nil, fmt.Errorf("Unmatched end tag at byte offset %d, expected \"</%s>\", found \"</%s>\"", begin, top.name, name)
			}
			stack = stack[:len(stack)-1]
			if top.skip || out.off <= top.offset {
				continue
			}
			e := models.MessageEntity{Type: top.typ, Offset: top.offset, Length: out.off - top.offset}
			switch top.typ {
			case models.MessageEntityTypeTextLink:
				if top.url == "" {
					continue
				}
				e.URL = top.url
			case models.MessageEntityTypePre:
				e.Language = top.lang
			case models.MessageEntityTypeCustomEmoji:
				e.CustomEmojiID = top.emoji
			}
			ents = append(ents, e)
			continue
		}
		j := i
		for j < len(text) && (isASCIIAlnum(text[j]) || text[j] == '-') {
			j++
		}
		name := strings.ToLower(text[i:j])
		typ, ok := htmlTags[name]
		if !ok {
			return "", nil, fmt.Errorf("Unsupported start tag \"%s\" at byte offset %d", name, begin)
		}
		attrs, end, err := parseHTMLAttrs(text, j, name)
		if err != nil {
			return "", nil, err
		}
		i = end
		o := &htmlOpen{name: name, typ: typ, offset: out.off}
		switch name {
		case "a":
			o.url = attrs["href"]
		case "span":
			if attrs["class"] != "tg-spoiler" {
				return "", nil, fmt.Errorf("Tag \"span\" must have class \"tg-spoiler\" at byte offset %d", begin)
			}
		case "tg-emoji":
			o.emoji = attrs["emoji-id"]
			if o.emoji == "" {
				return "", nil, fmt.Errorf("Tag \"tg-emoji\" must have attribute \"emoji-id\" at byte offset %d", begin)
			}
		case "code":
			if n := len(stack); n > 0 && stack[n-1].name == "pre" && stack[n-1].offset == out.off {
				if lang, ok := strings.CutPrefix(attrs["class"], "language-"); ok {
					stack[n-1].lang = lang
				}
				o.skip = true
			}
		}
		stack = append(stack, o)
	}
	if len(stack) > 0 {
		return "", nil, fmt.Errorf("Can't find end tag corresponding to start tag \"%s\"", stack[len(stack)-1].name)
	}
	return out.b.String(), ents, nil
}

func isASCIIAlnum(b byte) bool {
	return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9')
}

// parseHTMLAttrs parses attributes from text[i:] up to and including '>'.
func parseHTMLAttrs(text string, i int, tag string) (map[string]string, int, error) {
	attrs := map[string]string{}
	begin := i
	for {
		for i < len(text) && isHTMLSpace(text[i]) {
			i++
		}
		if i >= len(text) {
			return nil, 0, fmt.Errorf("Unclosed start tag at byte offset %d", begin)
		}
		if text[i] == '>' {
			return attrs, i + 1, nil
		}
		if text[i] == '/' && i+1 < len(text) && text[i+1] == '>' {
			return nil, 0, fmt.Errorf("Unsupported self-closing tag \"%s\" at byte offset %d", tag, i)
		}
		j := i
		for j < len(text) && (isASCIIAlnum(text[j]) || text[j] == '-' || text[j] == '_') {
			j++
		}
		if j == i {
			return nil, 0, fmt.Errorf("Empty attribute name in the tag \"%s\" at byte offset %d", tag, i)
		}
		name := strings.ToLower(text[i:j])
		i = j
		for i < len(text) && isHTMLSpace(text[i]) {
			i++
		}
		if i >= len(text) || text[i] != '=' {
			attrs[name] = ""
			continue
		}
		i++
		for i < len(text) && isHTMLSpace(text[i]) {
			i++
		}
		if i >= len(text) {
			return nil, 0, fmt.Errorf("Unclosed start tag at byte offset %d", begin)
		}
		var raw string
		if q := text[i]; q == '"' || q == '\'' {
			k := strings.IndexByte(text[i+1:], q)
			if k < 0 {
				return nil, 0, fmt.Errorf("Unclosed start tag at byte offset %d", begin)
			}
			raw = text[i+1 : i+1+k]
			i += k + 2
		} else {
			k := i
			for k < len(text) && !isHTMLSpace(text[k]) && text[k] != '>' {
				k++
			}
			raw = text[i:k]
			i = k
		}
		attrs[name] = decodeHTMLEntities(raw)
	}
}

func isHTMLSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }

func decodeHTMLEntities(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] == '&' {
			if r, n := decodeHTMLEntity(s[i:]); n > 0 {
				b.WriteRune(r)
				i += n
				continue
			}
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

// decodeHTMLEntity decodes one entity at the start of s ("&lt;", "&#65;",
// "&#x41;"); n is 0 if s does not start with a supported entity.
func decodeHTMLEntity(s string) (r rune, n int) {
	end := strings.IndexByte(s, ';')
	if end < 2 || end > 10 {
		return 0, 0
	}
	body := s[1:end]
	switch body {
	case "lt":
		return '<', end + 1
	case "gt":
		return '>', end + 1
	case "amp":
		return '&', end + 1
	case "quot":
		return '"', end + 1
	}
	if body[0] != '#' {
		return 0, 0
	}
	num := body[1:]
	base := 10
	if strings.HasPrefix(num, "x") || strings.HasPrefix(num, "X") {
		num, base = num[1:], 16
	}
	v, err := strconv.ParseUint(num, base, 32)
	if err != nil || v == 0 || v > utf8.MaxRune {
		return 0, 0
	}
	return rune(v), end + 1
}

// --- MarkdownV2 ------------------------------------------------------------

const markdownV2Reserved = "_*[]()~`>#+-=|{}.!"

type mdOpen struct {
	typ     models.MessageEntityType
	bytePos int
	offset  int
	lang    string
}

func mdEntityName(t models.MessageEntityType) string {
	switch t {
	case models.MessageEntityTypeBold:
		return "Bold"
	case models.MessageEntityTypeItalic:
		return "Italic"
	case models.MessageEntityTypeUnderline:
		return "Underline"
	case models.MessageEntityTypeStrikethrough:
		return "Strikethrough"
	case models.MessageEntityTypeSpoiler:
		return "Spoiler"
	case models.MessageEntityTypeCode:
		return "Code"
	case models.MessageEntityTypePre:
		return "Pre"
	case models.MessageEntityTypeTextLink:
		return "TextUrl"
	case models.MessageEntityTypeCustomEmoji:
		return "CustomEmoji"
	}
	return string(t)
}

// parseMarkdownV2 implements Telegram's MarkdownV2: every reserved character
// outside an entity marker must be escaped with '\'.
func parseMarkdownV2(text string) (string, []models.MessageEntity, error) {
	var out textBuilder
	var stack []mdOpen
	var ents []models.MessageEntity
	quoteStart := -1
	lineStart := true
	next := func(i int) byte {
		if i < len(text) {
			return text[i]
		}
		return 0
	}
	for i := 0; i < len(text); {
		c := text[i]
		var top *mdOpen
		if len(stack) > 0 {
			top = &stack[len(stack)-1]
		}
		inCode := top != nil && (top.typ == models.MessageEntityTypeCode || top.typ == models.MessageEntityTypePre)

		if lineStart && !inCode {
			lineStart = false
			if c == '>' {
				if quoteStart < 0 {
					quoteStart = out.off
				}
				i++
				continue
			}
			if quoteStart >= 0 {
				if l := out.off - 1 - quoteStart; l > 0 { // the quote ended with the previous '\n'
					ents = append(ents, models.MessageEntity{Type: models.MessageEntityTypeBlockquote, Offset: quoteStart, Length: l})
				}
				quoteStart = -1
			}
		}
		if c == '\\' && i+1 < len(text) && text[i+1] > 0 && text[i+1] <= 126 {
			out.rune(rune(text[i+1]))
			i += 2
			continue
		}
		if inCode && c != '`' {
			r, n := utf8.DecodeRuneInString(text[i:])
			out.rune(r)
			i += n
			continue
		}
		if !strings.ContainsRune(markdownV2Reserved, rune(c)) {
			r, n := utf8.DecodeRuneInString(text[i:])
			out.rune(r)
			i += n
			if c == '\n' {
				lineStart = true
			}
			continue
		}

		// End of the innermost entity?
		closeLen := 0
		if top != nil {
			switch top.typ {
			case models.MessageEntityTypeBold:
				if c == '*' {
					closeLen = 1
				}
			case models.MessageEntityTypeItalic:
				if c == '_' {
					closeLen = 1
				}
			case models.MessageEntityTypeUnderline:
				if c == '_' && next(i+1) == '_' {
					closeLen = 2
				}
			case models.MessageEntityTypeStrikethrough:
				if c == '~' {
					closeLen = 1
				}
			case models.MessageEntityTypeSpoiler:
				if c == '|' && next(i+1) == '|' {
					closeLen = 2
				}
			case models.MessageEntityTypeCode:
				if c == '`' {
					closeLen = 1
				}
			case models.MessageEntityTypePre:
				if c == '`' && next(i+1) == '`' && next(i+2) == '`' {
					closeLen = 3
				} else if c == '`' {
					out.rune('`') // a lone backtick inside pre is literal
					i++
					continue
				}
			case models.MessageEntityTypeTextLink, models.MessageEntityTypeCustomEmoji:
				if c == ']' {
					closeLen = 1
				}
			}
		}
		if closeLen > 0 {
			o := *top
			stack = stack[:len(stack)-1]
			i += closeLen
			e := models.MessageEntity{Type: o.typ, Offset: o.offset, Length: out.off - o.offset}
			switch o.typ {
			case models.MessageEntityTypeTextLink, models.MessageEntityTypeCustomEmoji:
				var u string
				if next(i) == '(' {
					var b strings.Builder
					j := i + 1
					for ; j < len(text) && text[j] != ')'; j++ {
						if text[j] == '\\' && j+1 < len(text) && text[j+1] > 0 && text[j+1] <= 126 {
							j++
						}
						b.WriteByte(text[j])
					}
					if j >= len(text) {
						return "", nil, fmt.Errorf("Can't find end of a URL at byte offset %d", i+1)
					}
					u = b.String()
					i = j + 1
				}
				if o.typ == models.MessageEntityTypeCustomEmoji {
					id, ok := strings.CutPrefix(u, "tg://emoji?id=")
					if !ok || id == "" {
						return "", nil, fmt.Errorf("Custom emoji entity must contain a tg://emoji URL")
					}
					e.CustomEmojiID = id
				} else {
					if u == "" {
						u = textFromOffset(out.b.String(), o.offset)
					}
					e.URL = u
				}
			case models.MessageEntityTypePre:
				e.Language = o.lang
			}
			if e.Length > 0 {
				ents = append(ents, e)
			}
			continue
		}

		// Start of an entity, or an unescaped reserved character.
		o := mdOpen{bytePos: i, offset: out.off}
		switch c {
		case '_':
			if next(i+1) == '_' {
				o.typ = models.MessageEntityTypeUnderline
				i += 2
			} else {
				o.typ = models.MessageEntityTypeItalic
				i++
			}
		case '*':
			o.typ = models.MessageEntityTypeBold
			i++
		case '~':
			o.typ = models.MessageEntityTypeStrikethrough
			i++
		case '|':
			if next(i+1) != '|' {
				return "", nil, reservedErr(c)
			}
			o.typ = models.MessageEntityTypeSpoiler
			i += 2
		case '[':
			o.typ = models.MessageEntityTypeTextLink
			i++
		case '!':
			if next(i+1) != '[' {
				return "", nil, reservedErr(c)
			}
			o.typ = models.MessageEntityTypeCustomEmoji
			i += 2
		case '`':
			if next(i+1) == '`' && next(i+2) == '`' {
				o.typ = models.MessageEntityTypePre
				i += 3
				if nl := strings.IndexByte(text[i:], '\n'); nl >= 0 {
					if lang := text[i : i+nl]; !strings.ContainsAny(lang, " `\t") {
						o.lang = lang
						i += nl + 1
					}
				}
			} else {
				o.typ = models.MessageEntityTypeCode
				i++
			}
		default:
			return "", nil, reservedErr(c)
		}
		o.offset = out.off
		stack = append(stack, o)
	}
	if len(stack) > 0 {
		o := stack[len(stack)-1]
		return "", nil, fmt.Errorf("Can't find end of %s entity at byte offset %d", mdEntityName(o.typ), o.bytePos)
	}
	if quoteStart >= 0 && out.off > quoteStart {
		ents = append(ents, models.MessageEntity{Type: models.MessageEntityTypeBlockquote, Offset: quoteStart, Length: out.off - quoteStart})
	}
	return out.b.String(), ents, nil
}

func reservedErr(c byte) error {
	return fmt.Errorf("Character '%c' is reserved and must be escaped with the preceding '\\'", c)
}

// textFromOffset returns the suffix of s starting at UTF-16 offset off.
func textFromOffset(s string, off int) string {
	n := 0
	for i, r := range s {
		if n >= off {
			return s[i:]
		}
		n += utf16Len(r)
	}
	return ""
}

// --- legacy Markdown -------------------------------------------------------

// parseMarkdown implements Telegram's legacy Markdown: *bold*, _italic_,
// `code`, ```pre```, [text](url); entities cannot nest.
func parseMarkdown(text string) (string, []models.MessageEntity, error) {
	var out textBuilder
	var ents []models.MessageEntity
	for i := 0; i < len(text); {
		c := text[i]
		if c == '\\' && i+1 < len(text) && strings.IndexByte("_*`[", text[i+1]) >= 0 {
			out.rune(rune(text[i+1]))
			i += 2
			continue
		}
		if strings.IndexByte("_*`[", c) < 0 {
			r, n := utf8.DecodeRuneInString(text[i:])
			out.rune(r)
			i += n
			continue
		}
		begin := i
		i++
		endMark := string(c)
		typ := map[byte]models.MessageEntityType{'_': models.MessageEntityTypeItalic, '*': models.MessageEntityTypeBold, '`': models.MessageEntityTypeCode, '[': models.MessageEntityTypeTextLink}[c]
		lang := ""
		switch {
		case c == '[':
			endMark = "]"
		case c == '`' && strings.HasPrefix(text[i:], "``"):
			typ, endMark = models.MessageEntityTypePre, "```"
			i += 2
			if nl := strings.IndexByte(text[i:], '\n'); nl >= 0 {
				if l := text[i : i+nl]; !strings.ContainsAny(l, " `\t") {
					lang = l
					i += nl + 1
				}
			}
		}
		end := strings.Index(text[i:], endMark)
		if end < 0 {
			return "", nil, fmt.Errorf("Can't find end of the entity starting at byte offset %d", begin)
		}
		start := out.off
		out.str(text[i : i+end])
		i += end + len(endMark)
		e := models.MessageEntity{Type: typ, Offset: start, Length: out.off - start, Language: lang}
		if c == '[' {
			if i < len(text) && text[i] == '(' {
				if k := strings.IndexByte(text[i:], ')'); k >= 0 {
					e.URL = text[i+1 : i+k]
					i += k + 1
				}
			}
			if e.URL == "" {
				continue
			}
		}
		if e.Length > 0 {
			ents = append(ents, e)
		}
	}
	return out.b.String(), ents, nil
}
