"""AWS Client VPN with SAML sign-in (IAM Identity Center) and/or client certificates, and a fixed
egress address.

Users connect with the AWS VPN Client, sign in through the company's SSO or with their own
certificate (or both), and in full-tunnel mode
reach the internet through the VPC's NAT gateway, so every partner sees the same Elastic IP.
Associations, routes and authorization rules are declared as one chain: parallel changes to one
endpoint fail with ConcurrentMutationLimitExceeded.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws
import pulumi_tls as tls

from components.client_certificates import ClientCertificate, client_certificates
from components.planning.client_vpn_plan import client_configuration, plan_routes, plan_rules
from components.planning.client_vpn_settings import ClientVpnSettings
from components.planning.network_plan import NetworkPlan, cidr_name
from components.tags import name_tag

SERVER_VALIDITY_HOURS = 825 * 24
CA_VALIDITY_HOURS = 10 * 365 * 24
RENEW_BEFORE_HOURS = 30 * 24
# The endpoint's tag that records `allUsersReachAllRanges: true`, read by the policy pack.
INTENT_TAG = "multicloud-vpn:all-users-reach-all-ranges"


class ClientVpn(pulumi.ComponentResource):
    """An AWS Client VPN endpoint in the VPC: SAML and/or certificate sign-in, connection logs,
    full or split tunnel.

    Arguments: the Client VPN settings; `plan`, the network plan (zones, VPC range, resolver
    address); `vpc_id`; `subnet_ids`, the private subnets to associate, one per zone;
    `gcp_ranges`, routed and authorized towards GCP; `dns_server`, the users' DNS server (the DNS
    forwarder; default the VPC resolver); `log_kms_key_id`, the KMS key of the connection log
    group (`audit.kmsKeyArn`; None: CloudWatch Logs' own encryption). Attributes: `endpoint`,
    `client_configuration` (the AWS VPN Client profile; None with client certificates, whose
    profiles are per person), `client_profiles` (name -> profile with its key, a secret; None
    without certificates), `client_certificates` (name -> {serial, expires}; None without),
    `self_service_portal_url` (None without the self-service portal).
    """

    endpoint: aws.ec2clientvpn.Endpoint
    client_configuration: pulumi.Output[str] | None
    client_profiles: pulumi.Output[dict[str, str]] | None
    client_certificates: pulumi.Output[dict[str, dict[str, str]]] | None
    self_service_portal_url: pulumi.Output[str] | None

    def __init__(self, name: str, settings: ClientVpnSettings, *, plan: NetworkPlan,
                 vpc_id: pulumi.Input[str], subnet_ids: Sequence[pulumi.Input[str]],
                 gcp_ranges: Sequence[str], dns_server: str | None = None,
                 log_kms_key_id: str | None = None, opts: pulumi.ResourceOptions | None = None):
        super().__init__("multicloud-vpn:index:ClientVpn", name, None, opts)
        self._name, self._settings, self._plan = name, settings, plan
        self._log_kms_key_id = log_kms_key_id
        self._dns_server = dns_server or plan.resolver_ip
        ca_key, ca_cert, certificate = self._certificates()
        people = (client_certificates(name, settings.client_certificates, days=settings.client_certificate_days,
                                      domain=settings.certificate_domain, ca_key=ca_key, ca_cert=ca_cert,
                                      parent=self) if settings.certificates else {})
        saml, portal_saml = self._sso()
        logs, stream = self._logs()
        self.endpoint = self._endpoint(vpc_id, certificate, self._authentication(certificate, saml, portal_saml),
                                       logs, stream)
        self._associations_routes_rules(subnet_ids, gcp_ranges)
        self._outputs(ca_cert, people)

    def _certificates(self) -> tuple[tls.PrivateKey, tls.SelfSignedCert, aws.acm.Certificate]:
        """Server certificate: a private CA and a server certificate, imported into ACM.
        Returns the CA's key and certificate (they sign client certificates too) and the ACM
        certificate."""
        name, settings, child = self._name, self._settings, pulumi.ResourceOptions(parent=self)
        ca_key = tls.PrivateKey(f"{name}-ca-key", algorithm="RSA", rsa_bits=2048, opts=child)
        ca_cert = tls.SelfSignedCert(
            f"{name}-ca-cert", private_key_pem=ca_key.private_key_pem, is_ca_certificate=True,
            subject=tls.SelfSignedCertSubjectArgs(
                common_name=f"multicloud-vpn {pulumi.get_stack()} client VPN CA"),
            validity_period_hours=CA_VALIDITY_HOURS,
            allowed_uses=["cert_signing", "crl_signing", "digital_signature"], opts=child)
        server_key = tls.PrivateKey(f"{name}-server-key", algorithm="RSA", rsa_bits=2048, opts=child)
        request = tls.CertRequest(
            f"{name}-server-csr", private_key_pem=server_key.private_key_pem,
            dns_names=[settings.certificate_domain],
            subject=tls.CertRequestSubjectArgs(common_name=settings.certificate_domain), opts=child)
        server_cert = tls.LocallySignedCert(
            f"{name}-server-cert", cert_request_pem=request.cert_request_pem,
            ca_private_key_pem=ca_key.private_key_pem, ca_cert_pem=ca_cert.cert_pem,
            validity_period_hours=SERVER_VALIDITY_HOURS, early_renewal_hours=RENEW_BEFORE_HOURS,
            allowed_uses=["digital_signature", "key_encipherment", "server_auth"], opts=child)
        certificate = aws.acm.Certificate(
            f"{name}-server-certificate",
            certificate_body=server_cert.cert_pem,
            private_key=pulumi.Output.secret(server_key.private_key_pem),
            certificate_chain=ca_cert.cert_pem,
            tags=name_tag("client-vpn"), opts=child)
        return ca_key, ca_cert, certificate

    def _sso(self) -> tuple[aws.iam.SamlProvider | None, aws.iam.SamlProvider | None]:
        """SSO: IAM SAML providers from the IAM Identity Center applications' metadata (None
        without SAML sign-in); the second (None without the portal) signs users in to the portal."""
        name, settings, child = self._name, self._settings, pulumi.ResourceOptions(parent=self)
        if not settings.saml:
            return None, None
        stack = pulumi.get_stack()
        saml = aws.iam.SamlProvider(
            f"{name}-saml", name=f"multicloud-vpn-{stack}-client-vpn",
            saml_metadata_document=settings.saml_metadata, opts=child)
        portal_saml = None
        if settings.self_service_portal:
            portal_saml = aws.iam.SamlProvider(
                f"{name}-saml-self-service", name=f"multicloud-vpn-{stack}-client-vpn-portal",
                saml_metadata_document=settings.self_service_saml_metadata, opts=child)
        return saml, portal_saml

    def _authentication(self, certificate: aws.acm.Certificate, saml: aws.iam.SamlProvider | None,
                        portal_saml: aws.iam.SamlProvider | None
                        ) -> list[aws.ec2clientvpn.EndpointAuthenticationOptionArgs]:
        """Mutual TLS against the endpoint's CA (the server certificate's chain), SAML, or both."""
        options = []
        if self._settings.certificates:
            options.append(aws.ec2clientvpn.EndpointAuthenticationOptionArgs(
                type="certificate-authentication", root_certificate_chain_arn=certificate.arn))
        if saml is not None:
            options.append(aws.ec2clientvpn.EndpointAuthenticationOptionArgs(
                type="federated-authentication", saml_provider_arn=saml.arn,
                self_service_saml_provider_arn=portal_saml.arn if portal_saml else None))
        return options

    def _logs(self) -> tuple[aws.cloudwatch.LogGroup, aws.cloudwatch.LogStream]:
        """Connection logs: a log group and the stream the endpoint writes to."""
        name, child = self._name, pulumi.ResourceOptions(parent=self)
        logs = aws.cloudwatch.LogGroup(
            f"{name}-connection-logs", name=f"/multicloud-vpn/{pulumi.get_stack()}/client-vpn",
            retention_in_days=self._settings.log_retention_days, kms_key_id=self._log_kms_key_id, opts=child)
        stream = aws.cloudwatch.LogStream(
            f"{name}-connection-log-stream", name="connections", log_group_name=logs.name, opts=child)
        return logs, stream

    def _endpoint(self, vpc_id: pulumi.Input[str], certificate: aws.acm.Certificate,
                  authentication: list[aws.ec2clientvpn.EndpointAuthenticationOptionArgs],
                  logs: aws.cloudwatch.LogGroup,
                  stream: aws.cloudwatch.LogStream) -> aws.ec2clientvpn.Endpoint:
        """The endpoint and its security group (no inbound, any outbound)."""
        name, settings, child = self._name, self._settings, pulumi.ResourceOptions(parent=self)
        security_group = aws.ec2.SecurityGroup(
            f"{name}-endpoint-sg", vpc_id=vpc_id,
            description="Client VPN endpoint: no inbound, any outbound",
            ingress=[],
            egress=[aws.ec2.SecurityGroupEgressArgs(protocol="-1", from_port=0, to_port=0,
                                                    cidr_blocks=["0.0.0.0/0"])],
            tags=name_tag("client-vpn-endpoint"), opts=child)
        return aws.ec2clientvpn.Endpoint(
            f"{name}-endpoint",
            description=f"multicloud-vpn {pulumi.get_stack()}",
            client_cidr_block=settings.client_cidr,
            server_certificate_arn=certificate.arn,
            authentication_options=authentication,
            connection_log_options=aws.ec2clientvpn.EndpointConnectionLogOptionsArgs(
                enabled=True, cloudwatch_log_group=logs.name, cloudwatch_log_stream=stream.name),
            dns_servers=[self._dns_server],
            vpc_id=vpc_id,
            security_group_ids=[security_group.id],
            split_tunnel=settings.split_tunnel,
            # In full tunnel the client may not add routes around the VPN (the allowlisted egress);
            # always set, so the field never drifts from its default.
            client_route_enforcement_options=aws.ec2clientvpn.EndpointClientRouteEnforcementOptionsArgs(
                enforced=not settings.split_tunnel),
            transport_protocol=settings.transport,
            vpn_port=settings.port,
            session_timeout_hours=settings.session_timeout_hours,
            disconnect_on_session_timeout=settings.disconnect_on_session_timeout,
            self_service_portal="enabled" if settings.self_service_portal else "disabled",
            client_login_banner_options=aws.ec2clientvpn.EndpointClientLoginBannerOptionsArgs(
                enabled=settings.login_banner is not None, banner_text=settings.login_banner),
            tags={**name_tag("client-vpn"),
                  **({INTENT_TAG: "intended"} if settings.all_users_reach_all_ranges else {})},
            opts=child,
        )

    def _associations_routes_rules(self, subnet_ids: Sequence[pulumi.Input[str]],
                                   gcp_ranges: Sequence[str]) -> None:
        """Associations, then routes, then rules: one at a time, each depending on the one before
        (parallel changes to one endpoint fail with ConcurrentMutationLimitExceeded)."""
        name, settings, plan = self._name, self._settings, self._plan
        endpoint_id = self.endpoint.id
        previous: list[pulumi.Resource] = []

        def chained() -> pulumi.ResourceOptions:
            return pulumi.ResourceOptions(parent=self, depends_on=list(previous))

        associations = []
        for zone in range(plan.zones):
            association = aws.ec2clientvpn.NetworkAssociation(
                f"{name}-association-{zone}", client_vpn_endpoint_id=endpoint_id,
                subnet_id=subnet_ids[zone], opts=chained())
            previous = [association]
            associations.append(association)
        for route in plan_routes(plan.zones, settings.split_tunnel, plan.vpc_cidr, gcp_ranges,
                                 settings.split_tunnel_destinations, settings.extra_routes):
            created = aws.ec2clientvpn.Route(
                f"{name}-route-{route.zone_index}-{cidr_name(route.destination)}",
                client_vpn_endpoint_id=endpoint_id,
                destination_cidr_block=route.destination,
                # Read from the association, so the route waits until the subnet is associated.
                target_vpc_subnet_id=associations[route.zone_index].subnet_id,
                description=f"to {route.destination} via zone {route.zone_index}",
                opts=chained())
            previous = [created]
        authorization = (None if settings.authorization is None
                         else [(r.cidr, r.groups) for r in settings.authorization])
        for rule in plan_rules(settings.split_tunnel, plan.vpc_cidr, gcp_ranges,
                               settings.split_tunnel_destinations, authorization, settings.extra_routes,
                               dns_servers=[self._dns_server]):
            created = aws.ec2clientvpn.AuthorizationRule(
                f"{name}-allow-{cidr_name(rule.destination)}-"
                + (f"group-{rule.group_id}" if rule.group_id else "everyone"),
                client_vpn_endpoint_id=endpoint_id,
                target_network_cidr=rule.destination,
                authorize_all_groups=True if rule.group_id is None else None,
                access_group_id=rule.group_id,
                description=f"{rule.group_id or 'every authenticated user'} to {rule.destination}",
                opts=chained())
            previous = [created]

    def _outputs(self, ca_cert: tls.SelfSignedCert, people: dict[str, ClientCertificate]) -> None:
        """One shared profile for SAML alone; with certificates, one secret profile per person."""
        settings = self._settings

        def profile(dns_name: str, ca_pem: str, cert_pem: str | None = None, key_pem: str | None = None) -> str:
            return client_configuration(dns_name, settings.port, settings.transport, ca_pem,
                                        server_name=settings.certificate_domain, saml=settings.saml,
                                        full_tunnel=not settings.split_tunnel, cert_pem=cert_pem, key_pem=key_pem)

        self.client_configuration = None
        self.client_profiles = None
        self.client_certificates = None
        if not settings.certificates:
            self.client_configuration = pulumi.Output.all(self.endpoint.dns_name, ca_cert.cert_pem).apply(
                lambda args: profile(args[0], args[1]))
        else:
            # Output.all(**named) gives a dict; there is always at least one name with certificates.
            self.client_profiles = pulumi.Output.secret(pulumi.Output.all(**{
                person: pulumi.Output.all(self.endpoint.dns_name, ca_cert.cert_pem, issued.cert.cert_pem,
                                          issued.key.private_key_pem).apply(lambda args: profile(*args))
                for person, issued in people.items()}))
            self.client_certificates = pulumi.Output.all(**{
                person: pulumi.Output.all(serial=issued.cert.id, expires=issued.cert.validity_end_time)
                for person, issued in people.items()})
        self.self_service_portal_url = (self.endpoint.self_service_portal_url
                                        if settings.self_service_portal else None)
        self.register_outputs({
            "endpointId": self.endpoint.id,
            "dnsName": self.endpoint.dns_name,
            "clientConfiguration": self.client_configuration,
            "clientProfiles": self.client_profiles,
            "clientCertificates": self.client_certificates,
        })
