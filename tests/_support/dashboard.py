"""What the dashboard tests share: hostile text put into the broker, and how a page must show it."""

HOSTILE = "<script>alert('x')</script>"
ESCAPED = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"
"""``HOSTILE`` as an HTML-escaping page shows it: as text."""
