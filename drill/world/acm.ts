import { ACMClient, DescribeCertificateCommand, type CertificateStatus, type DescribeCertificateCommandInput, type DescribeCertificateCommandOutput } from '@aws-sdk/client-acm';
import { stubClient, type Answer } from './dispatch';
import type { SimulatedWorld } from './simulated-world';

export function installAcm(world: SimulatedWorld): void {
  const on = stubClient(world, ACMClient);
  // ACM API reference, DescribeCertificate: the certificate's DomainName and every name it
  // covers in SubjectAlternativeNames (which repeats the DomainName).
  on(DescribeCertificateCommand, (input: DescribeCertificateCommandInput): Answer<DescribeCertificateCommandOutput> => ({
    Certificate: {
      CertificateArn: input.CertificateArn,
      Status: world.certificateStatus as CertificateStatus,
      DomainName: world.certificateNames.domainName,
      SubjectAlternativeNames: [...world.certificateNames.subjectAlternativeNames],
      Type: 'AMAZON_ISSUED',
    },
  }));
}
