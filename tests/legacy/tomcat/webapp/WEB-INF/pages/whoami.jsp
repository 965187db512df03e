<%@ page contentType="application/json; charset=UTF-8" session="false" trimDirectiveWhitespaces="true" %><%
    // Who the container thinks is signed in (the authenticator restores the principal it
    // cached in the session on every request, protected or not).
    String user = request.getRemoteUser();
    if (user == null) {
        out.print("{\"user\":null}");
    } else {
        StringBuilder b = new StringBuilder("{\"user\":\"");
        for (char c : user.toCharArray()) {
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        out.print(b.append("\"}"));
    }
%>
