-- The community workaround for coalesced HTTP/2 requests on Istio gateways (an EnvoyFilter
-- inserting this Lua filter before the router): 421 when the request's authority is not the
-- connection's SNI. Kept as operators run it, flaws included: the comparison is exact and
-- case-sensitive, a trailing dot or an IPv6 literal never matches, a request for another
-- host of the same server (a wildcard) is refused, and the "*." branch never runs because
-- clients do not send wildcard SNIs (its string.find would read the suffix as a pattern).
function envoy_on_request(request_handle)
  local sni = request_handle:streamInfo():requestedServerName()
  if sni == nil or sni == "" then
    return
  end
  local authority = request_handle:headers():get(":authority")
  local host = authority
  local colon = string.find(authority, ":", 1, true)
  if colon ~= nil then
    host = string.sub(authority, 1, colon - 1)
  end
  if string.sub(sni, 1, 2) == "*." then
    if not string.find(host, sni:sub(3)) then
      request_handle:respond({[":status"] = "421"}, "Misdirected Request")
    end
  elseif sni ~= host then
    request_handle:respond({[":status"] = "421"}, "Misdirected Request")
  end
end
