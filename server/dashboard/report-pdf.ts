import PDFDocument from 'pdfkit';
import type { Report } from './report.js';

type Doc = InstanceType<typeof PDFDocument>;

function table(doc: Doc, headers: string[], widths: number[], rows: (string | number | null)[][]): void {
  const x0 = doc.page.margins.left;
  const drawRow = (cells: (string | number | null)[], bold: boolean) => {
    if (doc.y > doc.page.height - doc.page.margins.bottom - 20) doc.addPage();
    const y = doc.y;
    doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(9);
    let x = x0;
    let height = 0;
    cells.forEach((c, i) => {
      const text = c === null ? '' : String(c);
      doc.text(text, x, y, { width: widths[i]! - 6 });
      height = Math.max(height, doc.y - y);
      x += widths[i]!;
    });
    doc.x = x0;
    doc.y = y + height + 3;
  };
  drawRow(headers, true);
  for (const r of rows) drawRow(r, false);
  if (rows.length === 0) drawRow(['(none)'], false);
  doc.moveDown(0.8);
}

/**
 * The report as a PDF (pdfkit, standard Helvetica: no font files). Content streams are left uncompressed, so
 * the text can be searched by tools without a PDF library (and by the tests).
 */
export function reportPdf(r: Report): Promise<Buffer> {
  const doc = new PDFDocument({ size: 'A4', margin: 50, compress: false, info: { Title: `shakenstack compliance report ${r.from} to ${r.to}`, Producer: 'shakenstack' } });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  doc.font('Helvetica-Bold').fontSize(16).text('STIR/SHAKEN compliance report');
  doc.font('Helvetica').fontSize(10).text(`Period: ${r.from} to ${r.to} (UTC, inclusive). Generated ${r.generatedAt}.`);
  doc.moveDown();
  doc.font('Helvetica-Bold').fontSize(12).text(`Signed calls by account and attestation (total ${r.totals.signed})`);
  doc.moveDown(0.3);
  table(
    doc,
    ['Account', 'A', 'B', 'C', 'Total', 'Forwarded signed', 'Forwarded verified'],
    [175, 45, 45, 45, 55, 65, 65],
    r.signedByAccount.map((s) => [`${s.accountName} (${s.accountId})`, s.A, s.B, s.C, s.total, s.forwardedSigned, s.forwardedVerified]),
  );
  doc
    .font('Helvetica')
    .fontSize(9)
    .text(
      `Forwarded calls carry a div or div-o PASSporT (RFC 8946): ${r.totals.forwardedSigned} among the signed calls, ${r.totals.forwardedVerified} verified successfully.`,
    );
  doc.moveDown(0.8);
  doc.font('Helvetica-Bold').fontSize(12).text(`Branded calls (Rich Call Data, RFC 9795): ${r.totals.brandedSigned} signed, ${r.totals.rcdVerified} verified, ${r.totals.rcdFailed} failed`);
  doc.moveDown(0.3);
  table(
    doc,
    ['Account', 'Signed', 'RCD verified', 'RCD failed'],
    [250, 80, 80, 80],
    r.signedByAccount.filter((s) => s.brandedSigned + s.rcdVerified + s.rcdFailed > 0).map((s) => [`${s.accountName} (${s.accountId})`, s.brandedSigned, s.rcdVerified, s.rcdFailed]),
  );
  table(doc, ['Account', 'Profile', 'Brand', 'Signed'], [150, 130, 130, 80], r.brandedByProfile.map((p) => [p.accountId, p.profileId, p.profileName, p.signed]));
  doc.moveDown(0.8);
  doc.font('Helvetica-Bold').fontSize(12).text(`Failed signing requests by reason (total ${r.totals.failures})`);
  doc.moveDown(0.3);
  table(doc, ['Error code', 'Count'], [300, 100], r.failuresByReason.map((f) => [f.errorCode, f.count]));
  doc.font('Helvetica-Bold').fontSize(12).text('Certificate inventory');
  doc.moveDown(0.3);
  table(
    doc,
    ['Account', 'Subject', 'SPC', 'Not after', 'Days left', 'State'],
    [95, 150, 45, 75, 50, 80],
    r.certificates.map((c) => [c.accountId, c.subject, c.spc, c.notAfter.slice(0, 10), c.daysLeft, c.state]),
  );
  doc.end();
  return done;
}
