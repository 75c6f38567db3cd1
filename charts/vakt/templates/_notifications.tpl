{{/*
Notifications (values notifications:): the operator's file, rendered into a ConfigMap, and
each sink's Secret key mounted beside it as urls/<sink name>. The webhook URLs stay in
their Secrets; only the pod sees them.
*/}}

{{- define "vakt.notificationsDir" -}}/etc/vakt/notifications{{- end }}

{{/* The operator's notifications file (see src/notify/config.ts). */}}
{{- define "vakt.notificationsConfig" -}}
{{- $dir := include "vakt.notificationsDir" . }}
{{- $sinks := list }}
{{- range .Values.notifications.sinks }}
{{- $sink := dict "name" .name "type" .type "urlFile" (printf "%s/urls/%s" $dir .name) }}
{{- with .events }}
{{- $_ := set $sink "events" . }}
{{- end }}
{{- $sinks = append $sinks $sink }}
{{- end }}
{{- dict "sinks" $sinks "attempts" .Values.notifications.attempts "timeoutSeconds" .Values.notifications.timeoutSeconds "queueSize" .Values.notifications.queueSize | toYaml }}
{{- end }}

{{/*
Named after its content: a change is a new ConfigMap, so the pod template changes and the
pods, which read the file at start, roll.
*/}}
{{- define "vakt.notificationsName" -}}
{{- printf "%s-notifications-%s" (include "vakt.fullname" .) (include "vakt.notificationsConfig" . | sha256sum | trunc 10) }}
{{- end }}

{{- define "vakt.notificationsArgs" -}}
{{- if .Values.notifications.sinks }}
- --notifications
- {{ printf "%s/notifications.yaml" (include "vakt.notificationsDir" .) }}
{{- end }}
{{- end }}

{{- define "vakt.notificationsMount" -}}
{{- if .Values.notifications.sinks }}
- name: notifications
  mountPath: {{ include "vakt.notificationsDir" . }}
  readOnly: true
{{- end }}
{{- end }}

{{/* One projected volume: the file, and every sink's key (one source per Secret). */}}
{{- define "vakt.notificationsVolume" -}}
{{- if .Values.notifications.sinks }}
{{- $names := list }}
{{- $bySecret := dict }}
{{- range .Values.notifications.sinks }}
{{- if has .name $names }}
{{- fail (printf "notifications.sinks: the name %q is used twice; sink names must differ" .name) }}
{{- end }}
{{- $names = append $names .name }}
{{- $items := get $bySecret .secretName | default list }}
{{- $_ := set $bySecret .secretName (append $items (dict "key" .secretKey "path" (printf "urls/%s" .name))) }}
{{- end }}
- name: notifications
  projected:
    sources:
      - configMap:
          name: {{ include "vakt.notificationsName" . }}
          items:
            - key: notifications.yaml
              path: notifications.yaml
      {{- range $secret, $items := $bySecret }}
      - secret:
          name: {{ $secret }}
          items:
            {{- toYaml $items | nindent 12 }}
      {{- end }}
{{- end }}
{{- end }}
