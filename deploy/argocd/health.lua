-- Argo CD health of every kind of accounts.blinkops.com (Tenant, User,
-- ServiceAccount, Workspace, Group), from the conditions the operator writes.
-- Argo CD runs it with `obj` set to the object (gopher-lua, Lua 5.1).
--   Progressing: no status yet, status older than the spec, Reconciling=True, Ready=Unknown
--   Healthy:     Ready=True; a User waiting for its invitation to be accepted
--   Degraded:    Ready=False with a reason (and a User whose invitation expired or cannot be sent)
local hs = { status = "Progressing", message = "Waiting for the operator to report status" }
if obj.status == nil or obj.status.conditions == nil then
  return hs
end
local generation = obj.metadata.generation
if generation ~= nil and obj.status.observedGeneration ~= nil and obj.status.observedGeneration < generation then
  hs.message = "Waiting for the operator to observe generation " .. generation
  return hs
end
local conditions = {}
for _, condition in ipairs(obj.status.conditions) do
  conditions[condition.type] = condition
end
local function describe(condition)
  if condition.message ~= nil and condition.message ~= "" then
    return condition.reason .. ": " .. condition.message
  end
  return condition.reason or condition.type
end
if conditions.Stalled ~= nil and conditions.Stalled.status == "True" then
  return { status = "Degraded", message = describe(conditions.Stalled) }
end
if conditions.Reconciling ~= nil and conditions.Reconciling.status == "True" then
  return { status = "Progressing", message = describe(conditions.Reconciling) }
end
local ready = conditions.Ready
if ready == nil then
  return hs
end
if ready.observedGeneration ~= nil and generation ~= nil and ready.observedGeneration < generation then
  hs.message = "Waiting for the operator to observe generation " .. generation
  return hs
end
if ready.status == "True" then
  return { status = "Healthy", message = ready.message or "" }
end
if ready.status ~= "False" then
  return { status = "Progressing", message = describe(ready) }
end
-- An invited user is where its spec says it should be until a person accepts;
-- only an expired invitation or one that cannot be sent needs someone to act.
if obj.kind == "User" and ready.reason == "InvitationPending" then
  local expired = conditions.InvitationExpired
  if expired ~= nil and expired.status == "True" then
    return { status = "Degraded", message = describe(expired) }
  end
  local sent = conditions.InvitationSent
  if sent ~= nil and sent.status == "False" then
    return { status = "Degraded", message = describe(sent) }
  end
  if sent ~= nil and sent.status == "Unknown" then
    return { status = "Progressing", message = describe(sent) }
  end
  return { status = "Healthy", message = ready.message or "" }
end
return { status = "Degraded", message = describe(ready) }
