import nodemailer from 'nodemailer';

/** One plain-text message. */
export interface Mail {
  to: string;
  subject: string;
  text: string;
}

/**
 * The port through which services send mail (verification and reset codes, roll invitations).
 * In production it is SMTP (`SMTP_URL`, e.g. Amazon SES's SMTP endpoint); under `npm start` and
 * in tests the stack's local mail catcher, which keeps every message as a file.
 */
export interface MailSender {
  send(mail: Mail): Promise<void>;
  close(): void;
}

/**
 * A MailSender over SMTP with nodemailer (pooled connections). `smtpUrl` is
 * `smtp://[user:pass@]host:port` or `smtps://…`; `from` the sender address.
 */
export function createMailSender(smtpUrl: string, from: string): MailSender {
  const transport = nodemailer.createTransport(smtpUrl.includes('?') ? `${smtpUrl}&pool=true` : `${smtpUrl}?pool=true`);
  return {
    async send(mail) {
      await transport.sendMail({ from, to: mail.to, subject: mail.subject, text: mail.text });
    },
    close() {
      transport.close();
    },
  };
}
