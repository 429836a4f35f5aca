#include "jsonout.h"

#include <string.h>

json_t *
rb_json_str(const char *s)
{
	if (s == NULL)
		return json_null();
	json_t *j = json_string(s);
	return j ? j : json_stringn_nocheck(s, strlen(s));
}

json_t *
rb_change_json(const struct rb_change *c)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(c->id));
	json_object_set_new(o, "at", rb_json_str(c->at));
	json_object_set_new(o, "action", rb_json_str(c->action));
	json_object_set_new(o, "address", rb_json_str(c->address));
	json_object_set_new(o, "addr_key", rb_json_str(c->addr_key));
	json_object_set_new(o, "class", rb_json_str(c->class));
	json_object_set_new(o, "reason", rb_json_str(c->reason));
	json_object_set_new(o, "expires_at", rb_json_str(c->expires_at));
	json_object_set_new(o, "scope",
			    rb_json_str(c->scope && c->scope[0] ? c->scope
								 : "global"));
	json_object_set_new(o, "suppressed",
			    json_boolean(c->action &&
					 strcmp(c->action, "removed") != 0 &&
					 strcmp(c->action, "expired") != 0));
	return o;
}
