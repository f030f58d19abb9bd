"""HTTP/1.1 grammar rules (RFC 9110, RFC 9112) as anchored, non-backtracking regexes.

Each rule is quoted from the RFC next to the pattern that implements it. Patterns are
written over ``str`` decoded as Latin-1, so ``\\x80-\\xff`` stands for ``obs-text``.
None of them contains nested or overlapping quantifiers, so matching is linear in
the length of the input.
"""

import re

# RFC 9110 §5.6.1: OWS = *( SP / HTAB )   ; optional whitespace
OWS = "[ \t]*"

# RFC 9110 §5.6.2:
#   tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
#           "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
TCHAR = r"[-!#$%&'*+.^_`|~0-9A-Za-z]"
#   token = 1*tchar
TOKEN = TCHAR + "+"

# RFC 5234 B.1: VCHAR = %x21-7E ; RFC 9110 §5.5: obs-text = %x80-FF
VCHAR = r"\x21-\x7e"
OBS_TEXT = r"\x80-\xff"

# RFC 9110 §5.5:
#   field-value   = *field-content
#   field-content = field-vchar [ 1*( SP / HTAB / field-vchar ) field-vchar ]
#   field-vchar   = VCHAR / obs-text
# After the surrounding OWS is stripped, a field value is any run of these bytes:
FIELD_VALUE = rf"[\t {VCHAR}{OBS_TEXT}]*"

# RFC 9112 §5: field-line = field-name ":" OWS field-value OWS
# RFC 9110 §5.1: field-name = token
FIELD_NAME = TOKEN

# RFC 9112 §2.3: HTTP-version = HTTP-name "/" DIGIT "." DIGIT ; HTTP-name = %s"HTTP"
HTTP_VERSION = r"HTTP/[0-9]\.[0-9]"
# Tornado accepts any HTTP/1.x version in a start line; the connection narrows it.
HTTP1_VERSION = r"HTTP/1\.[0-9]"

# RFC 9112 §3.2: request-target = origin-form / absolute-form / authority-form /
# asterisk-form. Every form is a run of visible ASCII characters (RFC 3986 URIs
# contain no whitespace, controls or non-ASCII bytes).
REQUEST_TARGET = rf"[{VCHAR}]+"

# RFC 9112 §3: request-line = method SP request-target SP HTTP-version
# RFC 9110 §9.1: method = token
REQUEST_LINE = rf"({TOKEN}) ({REQUEST_TARGET}) ({HTTP_VERSION})"

# RFC 9112 §4: status-line = HTTP-version SP status-code SP [ reason-phrase ]
#   status-code   = 3DIGIT
#   reason-phrase = 1*( HTAB / SP / VCHAR / obs-text )
# (recipients accept a missing SP when the reason phrase is empty)
REASON_PHRASE = rf"[\t {VCHAR}{OBS_TEXT}]*"
STATUS_LINE = rf"({HTTP1_VERSION}) ([0-9]{{3}})(?: ({REASON_PHRASE}))?"

# RFC 9110 §8.6: Content-Length = 1*DIGIT
CONTENT_LENGTH = "[0-9]+"

# RFC 9112 §7.1:
#   chunk      = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
#   chunk-size = 1*HEXDIG
#   last-chunk = 1*("0") [ chunk-ext ] CRLF
# RFC 9112 §7.1.1:
#   chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
# Extensions are ignored, so only the size is matched; at most 16 hex digits (64 bits).
CHUNK_SIZE = "[0-9A-Fa-f]{1,16}"

# RFC 5234 B.1: CTL = %x00-1F / %x7F. HTAB is allowed inside field values, CR and LF
# only as the CRLF line terminator (checked separately).
CTL_EXCEPT_HTAB_CR_LF = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
CTL_EXCEPT_HTAB = r"[\x00-\x08\x0a-\x1f\x7f]"

token_re = re.compile(TOKEN)
field_name_re = re.compile(FIELD_NAME)
request_line_re = re.compile(REQUEST_LINE)
http1_request_line_re = re.compile(rf"({TOKEN}) ({REQUEST_TARGET}) ({HTTP1_VERSION})")
status_line_re = re.compile(STATUS_LINE)
content_length_re = re.compile(CONTENT_LENGTH)
chunk_size_re = re.compile(CHUNK_SIZE)
forbidden_head_char_re = re.compile(CTL_EXCEPT_HTAB_CR_LF)
forbidden_value_char_re = re.compile(CTL_EXCEPT_HTAB)
forbidden_value_char_bytes_re = re.compile(CTL_EXCEPT_HTAB.encode("ascii"))
# Output side: CR, LF and NUL can never appear in a header name, value or reason.
unsafe_output_char_re = re.compile(r"[\r\n\x00]")
