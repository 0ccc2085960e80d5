{{/* Rules shared by the NetworkPolicies. Each renders a list of NetworkPolicy{Ingress,Egress}Rule. */}}

{{- define "cart-recovery.np.dnsEgress" -}}
{{- $dns := .Values.networkPolicy.dns -}}
- to:
    - namespaceSelector:
        matchLabels:
          {{- toYaml $dns.namespaceSelector | nindent 10 }}
      podSelector:
        matchLabels:
          {{- toYaml $dns.podSelector | nindent 10 }}
  ports:
    - port: 53
      protocol: UDP
    - port: 53
      protocol: TCP
{{- end }}

{{- define "cart-recovery.np.redisEgress" -}}
{{- $redis := .Values.networkPolicy.redis -}}
- ports:
    - port: {{ $redis.port }}
      protocol: TCP
  {{- with $redis.to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}

{{- define "cart-recovery.np.postgresEgress" -}}
{{- $pg := .Values.networkPolicy.postgres -}}
- ports:
    - port: {{ $pg.port }}
      protocol: TCP
  {{- with $pg.to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}

{{- define "cart-recovery.np.kafkaEgress" -}}
{{- $k := .Values.networkPolicy.kafka -}}
- ports:
    {{- range $k.ports }}
    - port: {{ . }}
      protocol: TCP
    {{- end }}
  {{- with $k.to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}

{{- define "cart-recovery.np.kubernetesApiEgress" -}}
{{- $api := .Values.networkPolicy.kubernetesApi -}}
- ports:
    {{- range $api.ports }}
    - port: {{ . }}
      protocol: TCP
    {{- end }}
  {{- with $api.to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}

{{- define "cart-recovery.np.webhookEgress" -}}
{{- $w := .Values.networkPolicy.webhook -}}
- ports:
    {{- range $w.ports }}
    - port: {{ . }}
      protocol: TCP
    {{- end }}
  {{- with $w.to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}

{{/* Public port: from networkPolicy.ingressFrom (any source when empty). */}}
{{- define "cart-recovery.np.publicIngress" -}}
- ports:
    - port: http
      protocol: TCP
  {{- with .Values.networkPolicy.ingressFrom }}
  from:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}

{{/*
/metrics on the public port: from networkPolicy.metricsFrom only. Empty renders no rule at all,
never a rule without `from` (which would admit any source to the whole port).
*/}}
{{- define "cart-recovery.np.metricsIngress" -}}
{{- if .Values.networkPolicy.metricsFrom }}
- ports:
    - port: http
      protocol: TCP
  from:
    {{- toYaml .Values.networkPolicy.metricsFrom | nindent 4 }}
{{- end }}
{{- end }}
